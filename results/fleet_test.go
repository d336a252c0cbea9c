package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFleetVerdict(t *testing.T) {
	for _, tc := range []struct {
		verdicts []string
		want     string
	}{
		{nil, VerdictFail},
		{[]string{VerdictPass, VerdictPass}, VerdictPass},
		{[]string{VerdictPass, VerdictIncomplete}, VerdictIncomplete},
		{[]string{VerdictIncomplete, VerdictFail, VerdictPass}, VerdictFail},
		{[]string{VerdictPass, ""}, VerdictFail},
	} {
		var nodes []NodeResult
		for _, v := range tc.verdicts {
			nodes = append(nodes, NodeResult{Verdict: v})
		}
		if got := FleetVerdict(nodes); got != tc.want {
			t.Errorf("FleetVerdict(%v) = %s, want %s", tc.verdicts, got, tc.want)
		}
	}
}

// A fleet of a node that passed and one whose pod never started: the
// summary names both with their figures or the reason, the JUnit has one
// testcase per node, failed for the second, and the page a row each.
func TestWriteFleet(t *testing.T) {
	dir := t.TempDir()
	passed := &Summary{Verdict: VerdictPass, Specs: Counts{Total: 3, Passed: 2, Skipped: 1},
		About: About{KubeletVersion: "v1.37.2", ContainerRuntime: "containerd://1.6.20", KernelVersion: "6.1.0"}}
	failed := &Summary{Verdict: VerdictFail, Specs: Counts{Total: 2, Passed: 1, Failed: 1},
		FailedCases: []Case{{Name: "[It] MirrorPod should be updated", Status: StatusFailed, Message: "timed out\nmore"}}}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f := Fleet{Image: "registry.example/node-test:v1", Focus: "MirrorPod", Started: start, Finished: start.Add(90 * time.Second),
		Nodes: []NodeResult{
			{Node: "node-a", Verdict: NodeVerdict(passed), Summary: passed, Seconds: 80, Dir: "node-a"},
			{Node: "node-b", Verdict: NodeVerdict(failed), Summary: failed, Seconds: 85, Dir: "node-b", Reason: "interrupted before its end: interrupted by interrupt"},
			{Node: "node-c", Verdict: NodeVerdict(nil), Reason: "its pod could not start: ErrImagePull", Seconds: 30, Dir: "node-c"},
			{Node: "node-d", Verdict: VerdictFail, Seconds: 2, Dir: "node-d", Summary: &Summary{Verdict: VerdictFail, Setup: Counts{Total: 1, Failed: 1},
				FailedCases: []Case{{Name: "cluster API server", Status: StatusFailed, Message: "connection refused\nmore"}}}},
		}}
	f.Verdict = FleetVerdict(f.Nodes)
	if err := WriteFleet(dir, f); err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FAIL: 1 of 4 nodes passed\n",
		"FAIL       node-d                         took 2s: no spec ran: cluster API server: connection refused\n",
		"PASS       node-a                         2 passed, 0 failed, 1 skipped of 3 specs, took 1m20s; kubelet v1.37.2, runtime containerd://1.6.20, kernel 6.1.0",
		"    FAILED [It] MirrorPod should be updated\n        timed out\n",
		"FAIL       node-c                         took 30s: its pod could not start: ErrImagePull",
		"started    2026-12-01T10:00:00Z, took 1m30s",
		"1 passed, 1 failed, 0 skipped of 2 specs, took 1m25s; kubelet unknown, runtime unknown, kernel unknown; interrupted before its end: interrupted by interrupt\n",
	} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("summary.txt lacks %q:\n%s", want, txt)
		}
	}
	var back Fleet
	b, err := os.ReadFile(filepath.Join(dir, SummaryJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Verdict != VerdictFail || len(back.Nodes) != 4 || back.Nodes[0].Summary.Specs.Passed != 2 || back.Nodes[2].Reason == "" {
		t.Errorf("summary.json read back as %+v", back)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := r.Cases()
	if len(cases) != 4 {
		t.Fatalf("JUnit has %d testcases, want one per node: %+v", len(cases), cases)
	}
	want := map[string]Status{"node node-a": StatusPassed, "node node-b": StatusFailed, "node node-c": StatusFailed, "node node-d": StatusFailed}
	for _, c := range cases {
		if c.Status != want[c.Name] {
			t.Errorf("testcase %q is %s, want %s", c.Name, c.Status, want[c.Name])
		}
	}
	if !strings.Contains(cases[2].Message, "ErrImagePull") || !strings.Contains(cases[1].Message, "MirrorPod should be updated: timed out") {
		t.Errorf("failed testcases do not say why: %q, %q", cases[1].Message, cases[2].Message)
	}
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h1 class="FAIL" id="verdict">FAIL: 1 of 4 nodes passed</h1>`, `<a href="node-a/report.html">`,
		`<td colspan="3">its pod could not start: ErrImagePull</td>`, "<td>containerd://1.6.20</td>",
		`<td class="FAIL">FAIL (interrupted before its end: interrupted by interrupt)</td>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
