package results

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/node-test/node-test/internal/testenv"
)

// runWithTimeline writes, in a new report directory, the report of a run of
// three specs on two parallel processes, one of which failed naming its
// namespace, whose dump the directory holds, with the run's timeline and
// the kubelet's log, and returns the directory.
func runWithTimeline(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	const (
		passed  = "[sig-node] Pods should run"
		failed  = "[sig-node] MirrorPod should be recreated"
		skipped = "[sig-node] AppArmor should enforce a profile"
	)
	r := &Report{}
	r.Add(SetupSuite, Case{Name: "control plane", Status: StatusPassed, Seconds: 4})
	r.Add("Node Conformance", Case{Name: "[It] " + failed, Status: StatusFailed,
		Message: "timed out waiting for the mirror pod of static-web in namespace mirror-pod-4021",
		Log:     "STEP: creating the static pod\nLogs of mirror-pod-4021/static-web: started"})
	r.Add("Node Conformance", Case{Name: "[It] " + passed, Status: StatusPassed, Seconds: 20})
	r.Add("Node Conformance", Case{Name: "[It] " + skipped, Status: StatusSkipped, Message: "AppArmor is not enabled on the node"})
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	for _, e := range []ProgressEvent{
		{Event: ProgressPhase, Spec: "control plane", Time: at(0), State: StatusPassed, Seconds: 4},
		{Event: ProgressStart, Spec: passed, Area: "[sig-node] Pods", Process: 1, Time: at(5)},
		{Event: ProgressStart, Spec: failed, Area: "[sig-node] MirrorPod", Process: 2, Time: at(5)},
		{Event: ProgressEnd, Spec: passed, Area: "[sig-node] Pods", Process: 1, Time: at(25), State: StatusPassed, Seconds: 20},
		{Event: ProgressStart, Spec: skipped, Area: "[sig-node] AppArmor", Process: 1, Time: at(25)},
		{Event: ProgressEnd, Spec: skipped, Area: "[sig-node] AppArmor", Process: 1, Time: at(26), State: StatusSkipped, Seconds: 1},
		{Event: ProgressEnd, Spec: failed, Area: "[sig-node] MirrorPod", Process: 2, Time: at(125), State: StatusFailed, Seconds: 120},
		{Event: ProgressPhase, Spec: "specs", Time: at(5), State: StatusPassed, Seconds: 120},
	} {
		if err := AppendProgress(filepath.Join(dir, TimelineFile), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "mirror-pod-4021"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DaemonLogFile("kubelet")), []byte("I1127 16:00:01 started\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteSummary(dir, About{Node: "node-a", Started: start, Finished: at(130)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReportHTMLDrawsTheRunsTimeline checks what report.html draws from a
// run's timeline: a lane for the setup and one per parallel process, a bar
// per phase and spec coloured by its result, the failed one leading to its
// failure; a bar per area; and, with the failure, when it ran, the host's
// logs, its namespace's dump and what it logged.
func TestReportHTMLDrawsTheRunsTimeline(t *testing.T) {
	dir := runWithTimeline(t)
	b, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`>phases</text>`, `>process 1</text>`, `>process 2</text>`,
		`<rect class="phase" x="90.0" y="2" width="32.0" height="12"><title>control plane: passed, 4s</title>`,
		`<rect class="passed" x="130.0" y="18" width="160.0" height="12"><title>[sig-node] Pods should run: passed, 20s</title>`,
		`<a href="#failure-1"><rect class="failed" x="130.0" y="34" width="960.0" height="12"><title>[sig-node] MirrorPod should be recreated: failed, 2m0s</title></rect></a>`,
		`class="skipped" x="290.0" y="18" width="8.0"`,
		`>1m</text>`, `>2m</text>`,
		`<span class="name" title="[sig-node] MirrorPod">[sig-node] MirrorPod</span><span class="bar"><div class="failed" style="width: 100.00%"></div></span><span class="n">0 passed, 1 failed</span>`,
		`[sig-node] AppArmor</span><span class="bar"><div class="skipped" style="width: 100.00%"></div></span><span class="n">0 passed, 1 skipped</span>`,
		`<h3 class="failed" id="failure-1">[It] [sig-node] MirrorPod should be recreated</h3>`,
		`Ran from 16:00:05 to 16:02:05 UTC: the host's logs of that time: <a href="kubelet.log">kubelet.log</a>`,
		`Its pods' logs: <a href="mirror-pod-4021/">mirror-pod-4021</a>`,
		"<summary>what the spec logged</summary><pre>STEP: creating the static pod\nLogs of mirror-pod-4021/static-web: started</pre>",
		`<tr class="case" data-status="failed">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html does not hold %q", want)
		}
	}
	if n := strings.Count(page, "<rect "); n != 5 {
		t.Errorf("%d bars in the timeline, want 5 (2 phases, 3 specs)", n)
	}
	if err := xml.Unmarshal(b, new(any)); err != nil {
		t.Errorf("report.html is not well-formed: %v", err)
	}
	if t.Failed() {
		t.Log(page)
	}
}

// TestReportHTMLWithoutATimelineHasNone: a report merged from JUnit files
// alone has no timeline to draw, and counts its areas by suite.
func TestReportHTMLWithoutATimelineHasNone(t *testing.T) {
	dir := t.TempDir()
	r := &Report{}
	r.Add("Node Conformance", Case{Name: "[It] Pods should run", Status: StatusPassed})
	if _, err := r.WriteSummary(dir, About{}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	if strings.Contains(string(page), "<svg") || !strings.Contains(string(page), `<span class="name" title="Node Conformance">`) {
		t.Errorf("report.html without a timeline:\n%s", page)
	}
}

// TestReportHTMLInChromium opens report.html in headless Chromium, as a
// user would, with the address asking for the failed testcases only: the
// rendered page shows the verdict, the counts and the failure, and its
// script has hidden every other testcase. A screenshot of the page is
// saved as _output/report-html.png.
func TestReportHTMLInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "no chromium to render report.html in (apt-get install chromium)")
	}
	dir := runWithTimeline(t)
	url := "file://" + filepath.Join(dir, HTMLFile) + "#status=failed"
	chromium := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, browser, append([]string{"--headless", "--no-sandbox", "--disable-gpu",
			"--user-data-dir=" + t.TempDir()}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return out
	}
	dom := string(chromium("--dump-dom", url))
	for _, want := range []string{
		`id="verdict">FAIL: 1 passed, 1 failed, 1 skipped of 3 specs</h1>`,
		`<span class="passed">1 passed</span><span class="failed">1 failed</span><span class="skipped">1 skipped</span> of 3 specs`,
		`id="failure-1">[It] [sig-node] MirrorPod should be recreated</h3>`,
		`<span id="shown">1 of 4 testcases shown</span>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page Chromium rendered does not hold %q", want)
		}
	}
	rows := regexp.MustCompile(`<tr class="case" data-status="(\w+)"( hidden="")?>`).FindAllStringSubmatch(dom, -1)
	if len(rows) != 4 {
		t.Errorf("%d testcases in the rendered page, want 4", len(rows))
	}
	for _, r := range rows {
		if shown := r[2] == ""; shown != (r[1] == "failed") {
			t.Errorf("a %s testcase is shown: %v, with the page asked for the failed ones", r[1], shown)
		}
	}
	if t.Failed() {
		t.Log(dom)
	}
	shot, err := filepath.Abs(filepath.Join("..", "_output", "report-html.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	chromium("--screenshot="+shot, "--window-size=1280,1400", "--hide-scrollbars", strings.TrimSuffix(url, "#status=failed"))
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot at %s: %v", shot, err)
	}
}
