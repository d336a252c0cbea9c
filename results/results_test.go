package results

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
	// Upstream's KubeletMinVersion label is a constraint on the kubelet's
	// version: the testcase is still named by the spec's text alone.
	report.SpecReports[0].LeafNodeComponentSemVerConstraints = map[string][]string{"kubelet": {">=1.36"}}
	report.SpecReports[0].LeafNodeSemVerConstraints = []string{">=2.0.0"}
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
		if c.Status == StatusPassed && c.Name != "[It] [sig-node] Pods should run" {
			t.Errorf("the testcase of the spec [sig-node] Pods should run is named %q", c.Name)
		}
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
	sum, err := back.WriteSummary(dir, About{})
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, "summary.txt"))
	if sum.Verdict != "FAIL" || !strings.HasPrefix(string(txt), "FAIL: 1 passed, 0 failed, 0 skipped of 1 specs\n") ||
		!strings.Contains(string(txt), "\nchecks     0 passed, 1 failed, 0 skipped of 1 (system verification)\n") ||
		!strings.Contains(string(txt), "CONFIG_CGROUPS missing") {
		t.Errorf("summary %+v:\n%s", sum, txt)
	}
}

// TestSummaryOfARunThatStoppedBeforeTheSpecs checks that the headline says
// no spec ran, rather than counting the steps and checks as if they were.
func TestSummaryOfARunThatStoppedBeforeTheSpecs(t *testing.T) {
	dir := t.TempDir()
	r := &Report{}
	r.Add(SetupSuite, Case{Name: "control plane", Status: StatusPassed})
	r.Add(SetupSuite, Case{Name: "wait for node", Status: StatusFailed, Message: "no Node registered in 3m0s"})
	r.Add(ValidationSuite, Case{Name: "[system] os", Status: StatusPassed})
	sum, err := r.WriteSummary(dir, About{})
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	want := "FAIL: no spec ran\n" +
		"checks     1 passed, 0 failed, 0 skipped of 1 (system verification)\n" +
		"setup      1 passed, 1 failed, 0 skipped of 2 steps\n" +
		"FAILED wait for node\n    no Node registered in 3m0s\n"
	if string(txt) != want || sum.Failed() != 1 || sum.Specs != (Counts{}) {
		t.Errorf("summary %+v:\n%s\nwant:\n%s", sum, txt, want)
	}
}

func TestSummaryNamesWhatWasCertified(t *testing.T) {
	dir := t.TempDir()
	r := &Report{}
	r.Add(SetupSuite, Case{Name: "control plane", Status: StatusPassed, Seconds: 2.5})
	r.Add(ValidationSuite, Case{Name: "[system] cgroups", Status: StatusPassed, Message: "warning: cgroup v1 is deprecated"})
	r.Add("Node Conformance", Case{Name: "[It] Pods should run", Status: StatusFailed, Message: "expected <nil> & got \"Pending\"\nsecond line"})
	r.Add("Node Conformance", Case{Name: "[It] Pods should need a GPU", Status: StatusSkipped, Message: "the node has no GPU"})
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	about := About{
		Node: "node-a", Architecture: "arm64", KubeletVersion: "v1.34.4", ContainerRuntime: "containerd://1.6.20",
		OSImage: "Debian GNU/Linux 12 (bookworm)", KernelVersion: "6.1.0-41-arm64", NodeTest: "v0.1.0 (commit abc1234)",
		Kubernetes: "v1.37.2", Focus: `\[NodeConformance\]`, Started: start, Finished: start.Add(95 * time.Second),
		HostLogs: []string{"kubelet.log from /var/log/kubelet.log", "no kern.log (open /dev/kmsg: permission denied)"},
		Restarts: []string{"kubelet restarted during the run: pid 42, then 43"},
	}
	if _, err := r.WriteSummary(dir, about); err != nil {
		t.Fatal(err)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	for _, want := range []string{
		"FAIL: 0 passed, 1 failed, 1 skipped of 2 specs\n",
		"checks     1 passed, 0 failed, 0 skipped of 1 (system verification)\n",
		"setup      1 passed, 0 failed, 0 skipped of 1 steps\n",
		"node       node-a (arm64)\n", "kubelet    v1.34.4\n", "runtime    containerd://1.6.20\n",
		"os         Debian GNU/Linux 12 (bookworm)\n", "kernel     6.1.0-41-arm64\n",
		"node-test  v0.1.0 (commit abc1234), specs of Kubernetes v1.37.2\n", `focus      \[NodeConformance\]` + "\n",
		"started    2026-11-27T16:00:00Z, took 1m35s\n",
		"restarts   kubelet restarted during the run: pid 42, then 43\n",
		"host logs  kubelet.log from /var/log/kubelet.log; no kern.log (open /dev/kmsg: permission denied)\n",
		"FAILED [It] Pods should run\n    expected <nil>",
	} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("summary.txt does not say %q:\n%s", want, txt)
		}
	}
	if strings.Contains(string(txt), "skip ") {
		t.Errorf("summary.txt prints an empty skip:\n%s", txt)
	}
	var back Summary
	j, _ := os.ReadFile(filepath.Join(dir, SummaryJSONFile))
	if err := json.Unmarshal(j, &back); err != nil || !reflect.DeepEqual(back.About, about) ||
		back.Specs != (Counts{Total: 2, Failed: 1, Skipped: 1}) || back.Checks != (Counts{Total: 1, Passed: 1}) ||
		back.Setup != (Counts{Total: 1, Passed: 1}) {
		t.Errorf("summary.json about %+v, specs %+v, checks %+v, setup %+v (%v):\n%s", back.About, back.Specs, back.Checks, back.Setup, err, j)
	}
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	for _, want := range []string{
		`<h1 class="FAIL" id="verdict">FAIL: 0 passed, 1 failed, 1 skipped of 2 specs</h1>`,
		"<th>checks</th><td>1 passed, 0 failed, 0 skipped of 1 (system verification)</td>",
		`<td class="passed">passed</td><td>[system] cgroups<pre>warning: cgroup v1 is deprecated</pre></td>`,
		"<th>kubelet</th><td>v1.34.4</td>",
		"<pre>expected &lt;nil&gt; &amp; got &#34;Pending&#34;\nsecond line</pre>",
		"<h3>node-test setup</h3>", "<h3>Node Conformance</h3>",
		`<td class="skipped">skipped</td><td>[It] Pods should need a GPU<pre>the node has no GPU</pre></td>`,
		"<td>2.5 s</td>",
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html does not hold %q:\n%s", want, page)
		}
	}
	if err := xml.Unmarshal(page, new(any)); err != nil {
		t.Errorf("report.html is not well-formed: %v", err)
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
	sum, err := (&Report{}).WriteSummary(dir, About{})
	if err != nil || sum.Verdict != "FAIL" {
		t.Errorf("a run with no testcase must not pass: %+v %v", sum, err)
	}
}

// TestClearNeverRemovesWhatNoRunWrote: a report directory holding files
// with the names a run writes, but no manifest naming them (the host's
// /var/log, say, mounted as the report directory), is refused, and nothing
// in it is removed; a manifest naming some of them lets Clear remove those
// only.
func TestClearNeverRemovesWhatNoRunWrote(t *testing.T) {
	dir := t.TempDir()
	names := []string{JUnitFile, SummaryFile, "kubelet.log", "containerd.log", "kern.log", "notes.txt"}
	for _, f := range names {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("not node-test's\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	left := func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	before := left()
	_, err := Clear(dir)
	if !errors.Is(err, ErrForeignFiles) {
		t.Fatalf("Clear = %v, want ErrForeignFiles", err)
	}
	for _, name := range []string{JUnitFile, "kubelet.log", "kern.log", "REPORT_PATH"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the refusal does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("the refusal names notes.txt, which no run writes: %v", err)
	}
	if got := left(); !reflect.DeepEqual(got, before) {
		t.Errorf("Clear removed files it refused: %v, was %v", got, before)
	}

	// A previous run wrote the report and the kubelet's log; the rest is
	// foreign, and still refused.
	if err := os.WriteFile(filepath.Join(dir, RunManifest), []byte("# run\n"+JUnitFile+"\nkubelet.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Clear(dir); !errors.Is(err, ErrForeignFiles) || strings.Contains(err.Error(), "kubelet.log") || !strings.Contains(err.Error(), "containerd.log") {
		t.Errorf("Clear = %v, want ErrForeignFiles naming containerd.log, not kubelet.log", err)
	}
	// Once the foreign files that would be written over are gone, only
	// what the manifest names is removed.
	for _, f := range []string{SummaryFile, "containerd.log", "kern.log"} {
		os.Remove(filepath.Join(dir, f))
	}
	kept, err := Clear(dir)
	if err != nil || !reflect.DeepEqual(kept, []string{"notes.txt"}) {
		t.Fatalf("Clear = %v, %v; want notes.txt kept", kept, err)
	}
	if got := left(); !reflect.DeepEqual(got, []string{"notes.txt"}) {
		t.Errorf("after Clear the directory holds %v, want notes.txt", got)
	}
}

// TestClearRemovesWhatThePreviousRunRecorded runs twice in one directory:
// the second run's Clear removes everything the first wrote — the dumps of
// failed specs' pods in directories named after namespaces among them — and
// nothing else, not even what a forged manifest names outside the directory.
func TestClearRemovesWhatThePreviousRunRecorded(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "result")
	write := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "notes.txt"))
	write(filepath.Join(parent, "outside.txt"))
	kept, err := Clear(dir)
	if err != nil || !reflect.DeepEqual(kept, []string{"notes.txt"}) {
		t.Fatalf("Clear = %v, %v; want notes.txt kept", kept, err)
	}
	// The run: the framework's dump of a failed spec's pod, the control
	// plane's logs, the report.
	write(filepath.Join(dir, "pod-resize-1234", "resize-test", "c1", "logs.txt"))
	write(filepath.Join(dir, "controlplane", "etcd.log"))
	write(filepath.Join(dir, JUnitFile))
	if err := RecordRun(dir, kept, false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, RunManifest))
	for _, name := range []string{"controlplane\n", JUnitFile + "\n", "pod-resize-1234\n"} {
		if !strings.Contains(string(b), name) {
			t.Errorf("the manifest does not name %q:\n%s", name, b)
		}
	}
	if strings.Contains(string(b), "notes.txt") {
		t.Errorf("the manifest names the user's notes.txt:\n%s", b)
	}
	// A manifest naming what is not an entry of the directory.
	if err := os.WriteFile(filepath.Join(dir, RunManifest), append(b, "../outside.txt\n..\n/etc\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	kept, err = Clear(dir)
	if err != nil || !reflect.DeepEqual(kept, []string{"notes.txt"}) {
		t.Errorf("second Clear = %v, %v; want only notes.txt left", kept, err)
	}
	if _, err := os.Stat(filepath.Join(parent, "outside.txt")); err != nil {
		t.Errorf("Clear removed a file outside the directory: %v", err)
	}
}

// TestSpecsNotRunBecauseOfTheSetupMakeTheVerdictIncomplete: a skip of a
// spec the node does not apply to leaves a PASS; a skip marked as node-test's
// setup's makes the verdict INCOMPLETE, named with its fix in the summary,
// its JSON and its page; a failure still makes it FAIL.
func TestSpecsNotRunBecauseOfTheSetupMakeTheVerdictIncomplete(t *testing.T) {
	notRun := NotRunMarker + " the kubelet's static pod directory is not known; fix: pass --static-pod-dir"
	for _, tc := range []struct {
		name     string
		cases    []Case
		headline string
	}{
		{"a skip that does not apply", []Case{
			{Name: "[It] Pods should run", Status: StatusPassed},
			{Name: "[It] Pods should need a GPU", Status: StatusSkipped, Message: "the node has no GPU"},
		}, "PASS: 1 passed, 0 failed, 1 skipped of 2 specs"},
		{"a spec the setup kept from running", []Case{
			{Name: "[It] Pods should run", Status: StatusPassed},
			{Name: "[It] Pods should need a GPU", Status: StatusSkipped, Message: "the node has no GPU"},
			{Name: "[It] MirrorPod should be recreated", Status: StatusSkipped, Message: notRun},
		}, "INCOMPLETE: 1 passed, 0 failed, 2 skipped (1 of them not run because of node-test's setup) of 3 specs"},
		{"and a failure", []Case{
			{Name: "[It] Pods should run", Status: StatusFailed, Message: "timed out"},
			{Name: "[It] MirrorPod should be recreated", Status: StatusSkipped, Message: notRun},
		}, "FAIL: 0 passed, 1 failed, 1 skipped (1 of them not run because of node-test's setup) of 2 specs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := &Report{}
			for _, c := range tc.cases {
				r.Add(SpecSuite, c)
			}
			sum, err := r.WriteSummary(dir, About{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Headline() != tc.headline {
				t.Errorf("headline %q, want %q", sum.Headline(), tc.headline)
			}
			txt, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
			page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
			j, _ := os.ReadFile(filepath.Join(dir, SummaryJSONFile))
			if len(sum.NotRunCases) == 0 {
				if strings.Contains(string(txt), "NOT RUN") || strings.Contains(string(page), "Not run") {
					t.Errorf("a run with no spec kept from running lists some:\n%s", txt)
				}
				return
			}
			if !strings.Contains(string(txt), "NOT RUN [It] MirrorPod should be recreated\n    the kubelet's static pod directory is not known; fix: pass --static-pod-dir") {
				t.Errorf("summary.txt does not name the spec not run and its fix:\n%s", txt)
			}
			if !strings.Contains(string(page), "Not run because of node-test's setup") || !strings.Contains(string(page), "MirrorPod should be recreated") {
				t.Errorf("report.html does not list the spec not run")
			}
			var back Summary
			if err := json.Unmarshal(j, &back); err != nil || len(back.NotRunCases) != 1 || back.Verdict != sum.Verdict {
				t.Errorf("summary.json: %v %+v", err, back)
			}
		})
	}
}

// TestSummaryStatesTheFloorOfTheSpecRun: with 3 specs of 10, 20 and 90 s on
// 2 processes and a spec run of 120 s, the floor is the longest spec,
// 90 s (the sum over 2 is 60 s), and the run took 1.33× it.
func TestSummaryStatesTheFloorOfTheSpecRun(t *testing.T) {
	dir := t.TempDir()
	r := &Report{}
	r.Add(SetupSuite, Case{Name: "control plane", Status: StatusPassed, Seconds: 500})
	for i, secs := range []float64{10, 20, 90} {
		r.Add(SpecSuite, Case{Name: fmt.Sprintf("[It] spec %d", i), Status: StatusPassed, Seconds: secs})
	}
	sum, err := r.WriteSummary(dir, About{Parallelism: 2, SpecsSeconds: 120})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Floor == nil || sum.Floor.Seconds != 90 || sum.Floor.SumSeconds != 120 || sum.Floor.LongestSpec != "[It] spec 2" || fmt.Sprintf("%.2f", sum.Floor.Ratio) != "1.33" {
		t.Fatalf("floor %+v, want 90 s, the longest spec's, and a ratio of 1.33", sum.Floor)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	if want := "floor      1m30s = max(longest spec 1m30s, Σ 2m0s / 2); the specs took 2m0s, 1.33× the floor (longest: spec 2)\n"; !strings.Contains(string(txt), want) {
		t.Errorf("summary.txt lacks %q:\n%s", want, txt)
	}
	// Without the spec run's time, no floor is claimed.
	if sum, _ := r.WriteSummary(dir, About{Parallelism: 2}); sum.Floor != nil {
		t.Errorf("a floor without the spec run's time: %+v", sum.Floor)
	}
}

func TestFiguresASpecReportsReachTheSummaryAndThePage(t *testing.T) {
	dir := t.TempDir()
	measured := spec("should start pods within the SLO", types.SpecStateFailed, "the 99th percentile is 7s")
	measured.ReportEntries = types.ReportEntries{
		{Name: "pods created", Value: types.WrapEntryValue(108)},
		{Name: "startup p99 (s)", Value: types.WrapEntryValue(7.125)},
		{Name: "one pod more", Value: types.WrapEntryValue("OutOfpods")},
	}
	report := types.Report{SpecReports: types.SpecReports{measured, spec("should run", types.SpecStatePassed, "")}}
	if err := WriteJUnit(report, dir); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Through a merge and a rewrite, as a run does.
	if err := Merge(r).Write(dir); err != nil {
		t.Fatal(err)
	}
	if r, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	sum, err := r.WriteSummary(dir, About{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Measure{{"pods created", "108"}, {"startup p99 (s)", "7.125"}, {"one pod more", "OutOfpods"}}
	if len(sum.MeasuredCases) != 1 || !reflect.DeepEqual(sum.MeasuredCases[0].Measured, want) {
		t.Fatalf("measured cases %+v, want one with %v", sum.MeasuredCases, want)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	if !strings.Contains(string(txt), "MEASURED [It] [sig-node] Pods should start pods within the SLO\n    pods created 108, startup p99 (s) 7.125, one pod more OutOfpods\n") {
		t.Errorf("summary.txt lacks the figures:\n%s", txt)
	}
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	for _, s := range []string{"<h2>Measured</h2>", "<th>startup p99 (s)</th><td>7.125</td>", "<th>one pod more</th><td>OutOfpods</td>"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	var j struct {
		MeasuredCases []Case `json:"measuredCases"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, SummaryJSONFile))
	if err := json.Unmarshal(b, &j); err != nil || len(j.MeasuredCases) != 1 || len(j.MeasuredCases[0].Measured) != 3 {
		t.Errorf("summary.json's measured cases: %+v (%v)", j.MeasuredCases, err)
	}
}
