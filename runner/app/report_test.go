package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-test/node-test/results"
)

// writeRun writes a run's report directory, as node-test run leaves it.
func writeRun(t *testing.T, dir, node string, cases ...results.Case) {
	t.Helper()
	r := &results.Report{}
	for _, c := range cases {
		r.Add(results.SpecSuite, c)
	}
	kept, err := results.Clear(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteSummary(dir, results.About{Node: node}); err != nil {
		t.Fatal(err)
	}
	if err := results.RecordRun(dir, kept, false); err != nil {
		t.Fatal(err)
	}
}

// TestReportRewritesADirectory: node-test report DIR prints the summary of a
// run's directory, with what it certified, and writes its page again.
func TestReportRewritesADirectory(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "node-a", results.Case{Name: "[It] Pods should run", Status: results.StatusPassed, Seconds: 3})
	if err := os.Remove(filepath.Join(dir, results.HTMLFile)); err != nil {
		t.Fatal(err)
	}
	code, out := run(t, "report", dir)
	if code != ExitOK || !strings.HasPrefix(out, "PASS: 1 passed, 0 failed, 0 skipped of 1 specs\n") || !strings.Contains(out, "node       node-a\n") {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	page, err := os.ReadFile(filepath.Join(dir, results.HTMLFile))
	if err != nil || !strings.Contains(string(page), "Pods should run") || !strings.Contains(string(page), "node-a") {
		t.Errorf("report.html not written again: %v", err)
	}
}

// TestReportMergesRuns merges the reports of two nodes into a directory:
// one summary of both, FAIL as one failed.
func TestReportMergesRuns(t *testing.T) {
	a, b, out := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "all")
	writeRun(t, a, "node-a", results.Case{Name: "[It] Pods should run", Status: results.StatusPassed})
	writeRun(t, b, "node-b", results.Case{Name: "[It] Pods should run", Status: results.StatusFailed, Message: "timed out"},
		results.Case{Name: "[It] Pods should stop", Status: results.StatusPassed})
	code, printed := run(t, "report", out, "--junit", filepath.Join(a, results.JUnitFile), "--junit", filepath.Join(b, results.JUnitFile))
	if code != ExitFailures || !strings.HasPrefix(printed, "FAIL: 2 passed, 1 failed, 0 skipped of 3 specs\n") {
		t.Fatalf("exit code %d:\n%s", code, printed)
	}
	r, err := results.Load(out)
	if err != nil || len(r.Cases()) != 3 {
		t.Errorf("the merged junit_01.xml: %v, %+v", err, r)
	}
	// Merged again into the same directory: what the first merge wrote is
	// replaced.
	if code, printed := run(t, "report", out, "--junit", filepath.Join(a, results.JUnitFile)); code != ExitOK {
		t.Errorf("merging again: exit code %d:\n%s", code, printed)
	}
}

// TestReportNeverWritesOverFilesItDidNotWrite: a directory whose summary.txt
// no run of node-test wrote is refused, and left as it is.
func TestReportNeverWritesOverFilesItDidNotWrite(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "node-a", results.Case{Name: "[It] Pods should run", Status: results.StatusPassed})
	if err := os.Remove(filepath.Join(dir, results.RunManifest)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	code, out := run(t, "report", dir)
	if code != ExitSetup || !strings.Contains(out, "did not write") {
		t.Fatalf("exit code %d, want %d naming the files:\n%s", code, ExitSetup, out)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, results.SummaryFile)); string(after) != string(before) {
		t.Error("summary.txt was written over")
	}
}
