package results

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

func spec(text string, state types.SpecState, msg string) types.SpecReport {
	return types.SpecReport{
		ContainerHierarchyTexts: []string{"[sig-node] Pods"},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            text,
		State:                   state,
		Failure:                 types.Failure{Message: msg},
		RunTime:                 time.Second,
	}
}

func TestWriteJUnitListsSelectedSpecsOnly(t *testing.T) {
	dir := t.TempDir()
	report := types.Report{
		SuiteDescription: "Node Conformance",
		SpecReports: types.SpecReports{
			spec("should run", types.SpecStatePassed, ""),
			spec("should fail", types.SpecStateFailed, "expected Running, got Pending"),
			spec("should need a GPU", types.SpecStateSkipped, "the node has no GPU"),
			spec("was not selected", types.SpecStateSkipped, ""),
		},
	}
	if err := WriteJUnit(report, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(b, &doc); err != nil || doc.XMLName.Local != "testsuites" {
		t.Fatalf("junit_01.xml is not a <testsuites> document: %v %v", doc.XMLName, err)
	}
	if strings.Contains(string(b), "was not selected") {
		t.Errorf("a spec the selection left out is in the report")
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := r.Counts()
	if got != (Counts{Total: 3, Passed: 1, Failed: 1, Skipped: 1}) {
		t.Errorf("counts %+v", got)
	}
	for _, c := range r.Cases() {
		if c.Status == StatusFailed && !strings.Contains(c.Message, "expected Running") {
			t.Errorf("failure message lost: %q", c.Message)
		}
		if c.Status == StatusSkipped && !strings.Contains(c.Message, "no GPU") {
			t.Errorf("skip reason lost: %q", c.Message)
		}
	}
}

func TestRunnerCasesMergeIntoTheReport(t *testing.T) {
	dir := t.TempDir()
	if err := WriteJUnit(types.Report{SpecReports: types.SpecReports{spec("should run", types.SpecStatePassed, "")}}, dir); err != nil {
		t.Fatal(err)
	}
	specs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	own := &Report{}
	own.Add(SetupSuite, Case{Name: "control plane", Status: StatusPassed, Seconds: 3})
	own.Add(ValidationSuite, Case{Name: "kernel config", Status: StatusFailed, Message: "CONFIG_CGROUPS missing: rebuild the kernel"})
	merged := Merge(own, specs)
	if err := merged.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Counts(); got != (Counts{Total: 3, Passed: 2, Failed: 1}) {
		t.Errorf("merged counts %+v", got)
	}
	sum, err := back.WriteSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, "summary.txt"))
	if sum.Verdict != "FAIL" || !strings.Contains(string(txt), "FAIL: 2 passed, 1 failed, 0 skipped of 3") ||
		!strings.Contains(string(txt), "CONFIG_CGROUPS missing") {
		t.Errorf("summary %+v:\n%s", sum, txt)
	}
}

func TestLoadMissingReportIsEmptyAndBrokenOneIsAnError(t *testing.T) {
	dir := t.TempDir()
	r, err := Load(dir)
	if err != nil || r.Counts().Total != 0 {
		t.Fatalf("missing report: %+v %v", r.Counts(), err)
	}
	if err := os.WriteFile(filepath.Join(dir, JUnitFile), []byte("<testsuites><testsuite"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), JUnitFile) {
		t.Fatalf("broken report: %v", err)
	}
	sum, err := (&Report{}).WriteSummary(dir)
	if err != nil || sum.Verdict != "FAIL" {
		t.Errorf("a run with no testcase must not pass: %+v %v", sum, err)
	}
}
