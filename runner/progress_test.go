package runner

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/node-test/node-test/results"
)

// TestProgressCountsAndETA follows four specs on two processes, two of
// them timed by an earlier run: the line counts what ended, failed and
// runs, and the ETA spreads what is left over the processes, saying which
// times are estimates.
func TestProgressCountsAndETA(t *testing.T) {
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	specs := []Spec{{Area: "A", Text: "a1"}, {Area: "A", Text: "a2"}, {Area: "B", Text: "b1"}, {Area: "B", Text: "b2"}}
	p := newProgress(specs, map[string]float64{"a1": 60, "a2": 120}, 2, start)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	p.apply(results.ProgressEvent{Event: results.ProgressStart, Spec: "a1", Time: at(0)})
	p.apply(results.ProgressEvent{Event: results.ProgressStart, Spec: "unselected", Time: at(0)})
	if got := p.line(at(30)); got != "specs 0/4 (0%) · 0 failed · 1 running · elapsed 30s · ETA 2m (2 of the specs left never ran on this node: their time is estimated)" {
		// a1 has 30 s left, a2 120 s, b1 and b2 the default 20 s: 190 s / 2 = 95 s, under a2's 120 s.
		t.Errorf("line = %q", got)
	}
	if p.apply(results.ProgressEvent{Event: results.ProgressEnd, Spec: "a1", State: results.StatusPassed, Time: at(60)}) {
		t.Error("a pass reported as a failure")
	}
	if !p.apply(results.ProgressEvent{Event: results.ProgressEnd, Spec: "b1", State: results.StatusFailed, Time: at(70)}) {
		t.Error("a failure not reported as one")
	}
	// A flake attempt's second end counts once.
	p.apply(results.ProgressEvent{Event: results.ProgressEnd, Spec: "b1", State: results.StatusPassed, Time: at(71)})
	if got := p.line(at(90)); !strings.HasPrefix(got, "specs 2/4 (50%) · 1 failed · 0 running · elapsed 2m · ETA 2m (1 of the specs left") {
		t.Errorf("line = %q", got)
	}
	for _, s := range []string{"a2", "b2"} {
		p.apply(results.ProgressEvent{Event: results.ProgressEnd, Spec: s, State: results.StatusPassed, Time: at(200)})
	}
	if got := p.line(at(200)); got != "specs 4/4 (100%) · 1 failed · 0 running · elapsed 3m · ETA 0s (from the last run on this node)" {
		t.Errorf("line = %q", got)
	}
}

// A spec that runs past its expected time (a [Slow] spec new on the node,
// estimated at the default) counts as needing as long again as it has run,
// and the line says so: not an ETA of a second for the half hour it runs.
func TestProgressETAOfASpecPastItsTime(t *testing.T) {
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	p := newProgress([]Spec{{Text: "slow"}, {Text: "done"}}, map[string]float64{"done": 10}, 8, start)
	p.apply(results.ProgressEvent{Event: results.ProgressStart, Spec: "slow", Time: start})
	p.apply(results.ProgressEvent{Event: results.ProgressEnd, Spec: "done", State: results.StatusPassed, Time: start.Add(10 * time.Second)})
	got := p.line(start.Add(10 * time.Minute))
	if want := "specs 1/2 (50%) · 0 failed · 1 running · elapsed 10m · ETA 10m (1 of the specs left never ran on this node: their time is estimated; 1 running past their expected time)"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

// TestProgressFollowsTheStream appends events to a stream in pieces, a line
// cut in two among them, as parallel processes write: the follower logs
// the failure as it comes, and progress lines with growing counts.
func TestProgressFollowsTheStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.jsonl")
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	specs := []Spec{{Text: "s1"}, {Text: "s2"}, {Text: "s3"}}
	p := newProgress(specs, nil, 2, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.follow(ctx, path, 500*time.Millisecond, logger) }()

	write := func(e results.ProgressEvent) {
		if err := results.AppendProgress(path, e); err != nil {
			t.Fatal(err)
		}
	}
	write(results.ProgressEvent{Event: results.ProgressStart, Spec: "s1", Time: time.Now()})
	write(results.ProgressEvent{Event: results.ProgressEnd, Spec: "s1", State: results.StatusPassed, Time: time.Now()})
	time.Sleep(1500 * time.Millisecond)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"event":"end","spec":"s2","state":"failed","message":"timed out wai`)
	time.Sleep(1200 * time.Millisecond)
	f.WriteString(`ting for the pod"}` + "\n")
	f.Close()
	time.Sleep(1500 * time.Millisecond)
	cancel()
	<-done

	out := logs.String()
	if !strings.Contains(out, `msg="spec failed: s2" message="timed out waiting for the pod"`) {
		t.Errorf("no failure line naming s2:\n%s", out)
	}
	counts := regexp.MustCompile(`specs (\d)/3`).FindAllStringSubmatch(out, -1)
	if len(counts) < 2 || counts[0][1] > counts[len(counts)-1][1] || counts[len(counts)-1][1] != "2" {
		t.Errorf("progress lines %v, want at least two, growing to 2/3:\n%s", counts, out)
	}
}

// TestDurationsKeptForTheNextRun: the durations of the specs that ran are
// kept over those of earlier runs; a skipped spec's zero is not.
func TestDurationsKeptForTheNextRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "durations.json")
	r := &results.Report{}
	r.Add(results.SpecSuite, results.Case{Name: "[It] ran", Status: results.StatusPassed, Seconds: 12})
	r.Add(results.SpecSuite, results.Case{Name: "[It] skipped", Status: results.StatusSkipped, Seconds: 0.1})
	if err := saveDurations(path, map[string]float64{"earlier": 30, "skipped": 40}, r); err != nil {
		t.Fatal(err)
	}
	got := loadDurations(path)
	if got["ran"] != 12 || got["earlier"] != 30 || got["skipped"] != 40 {
		t.Errorf("durations %v", got)
	}
}
