package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/node-test/node-test/results"
)

// TestRerunFailedSelectsExactlyTheFailedSpecs writes the report of a run in
// which two of three specs failed, then runs with --rerun-failed: the
// run's selection matches those two specs' names
// exactly, and no other (the user's FOCUS replaced), and the summary says
// what the run re-runs. With
// no report, or one with no failure, the run refuses, saying why, and
// leaves the directory as it is.
func TestRerunFailedSelectsExactlyTheFailedSpecs(t *testing.T) {
	dir := t.TempDir()
	names := []string{"[sig-node] Pods should run [NodeConformance]", "[sig-node] Pods should stop (graceful) [NodeConformance]", "[sig-node] Pods should run twice"}
	writeRun(t, dir, "node-a",
		results.Case{Name: "[It] " + names[0], Status: results.StatusFailed, Message: "timed out"},
		results.Case{Name: "[It] " + names[1], Status: results.StatusFailed, Message: "timed out"},
		results.Case{Name: "[It] " + names[2], Status: results.StatusPassed})

	bin := fakeBinDir(t)
	t.Setenv("RERUN_FAILED", "true")
	t.Setenv("FOCUS", "Pods")
	code, out := run(t, "run", "--report-dir", dir, "--rootfs", t.TempDir(), "--bin-dir", bin, "--api-address", "127.0.0.1:0", "--secure-port", "0")
	if code != ExitSetup { // the rootfs is none: the run stops at the preflight
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	sum, _ := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	m := regexp.MustCompile(`(?m)^focus +(.*)$`).FindSubmatch(sum)
	if m == nil {
		t.Fatalf("summary.txt names no focus:\n%s", sum)
	}
	re, err := regexp.Compile(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if got, want := re.MatchString(results.SpecSuite+" "+name), i < 2; got != want {
			t.Errorf("the re-run's focus %q matches %q: %v, want %v", m[1], name, got, want)
		}
	}
	if re.MatchString(results.SpecSuite + " " + names[0] + " [Slow]") {
		t.Errorf("the re-run's focus matches more than the exact name")
	}
	if !strings.Contains(string(sum), "re-run of  the 2 failed specs of the run reported in "+dir) {
		t.Errorf("summary.txt does not say what the run re-runs:\n%s", sum)
	}

	for name, setup := range map[string]func(string){
		"no report": func(string) {},
		"no failure": func(d string) {
			writeRun(t, d, "node-a", results.Case{Name: "[It] " + names[2], Status: results.StatusPassed})
		},
	} {
		d := t.TempDir()
		setup(d)
		before, _ := os.ReadDir(d)
		code, out := run(t, "run", "--report-dir", d, "--rerun-failed", "--rootfs", "/", "--bin-dir", bin)
		if code != ExitSetup || !strings.Contains(out, "nothing to run again") {
			t.Errorf("%s: exit code %d, want %d saying there is nothing to run again:\n%s", name, code, ExitSetup, out)
		}
		if after, _ := os.ReadDir(d); len(after) != len(before) {
			t.Errorf("%s: the refusal changed the directory: %d entries, were %d", name, len(after), len(before))
		}
	}
}
