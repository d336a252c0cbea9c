package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/node-test/node-test/results"
)

// DurationsFile is where, on the host, node-test keeps how long each spec
// took in the last run that ran it on this node: the progress's ETA.
const DurationsFile = "/var/lib/node-test/durations.json"

// defaultSpecSeconds stands for a spec of an area none of whose specs ran
// on this node yet.
const defaultSpecSeconds = 20

// progress follows a spec run from its progress stream: how many of the
// selected specs ended, failed and run now, and when the run should end.
type progress struct {
	mu          sync.Mutex
	selected    map[string]string // spec text → area
	known       map[string]float64
	parallelism int
	started     time.Time
	ended       map[string]bool
	running     map[string]time.Time
	failed      int
}

func newProgress(specs []Spec, known map[string]float64, parallelism int, started time.Time) *progress {
	p := &progress{selected: map[string]string{}, known: known, parallelism: max(parallelism, 1), started: started,
		ended: map[string]bool{}, running: map[string]time.Time{}}
	for _, s := range specs {
		p.selected[s.Text] = s.Area
	}
	return p
}

// apply takes an event into account and returns it if it is a failure.
func (p *progress) apply(e results.ProgressEvent) (failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.selected[e.Spec]; !ok {
		return false
	}
	switch e.Event {
	case results.ProgressStart:
		if !p.ended[e.Spec] {
			p.running[e.Spec] = e.Time
		}
	case results.ProgressEnd:
		delete(p.running, e.Spec)
		if p.ended[e.Spec] {
			return false // a flake attempt's second end
		}
		p.ended[e.Spec] = true
		if e.State == results.StatusFailed {
			p.failed++
			return true
		}
	}
	return false
}

// estimate is how long a selected spec takes: its time in the last run on
// this node, else the mean of its area's there, else defaultSpecSeconds;
// exact says whether it was the first.
func (p *progress) estimate(text string) (seconds float64, exact bool) {
	if s, ok := p.known[text]; ok {
		return s, true
	}
	area := p.selected[text]
	var sum float64
	var n int
	for t, a := range p.selected {
		if s, ok := p.known[t]; ok && a == area {
			sum, n = sum+s, n+1
		}
	}
	if n > 0 {
		return sum / float64(n), false
	}
	return defaultSpecSeconds, false
}

// eta is the time left: the work of the specs not ended spread over the
// parallel processes, and never less than what the longest of them needs.
//
// A running spec past the time it was expected to take counts as needing
// as long again as it has run so far: a spec of unknown time (a [Slow] one
// new on the node) must not make the ETA a second for the half hour it
// still runs. overdue counts such specs.
func (p *progress) eta(now time.Time) (left time.Duration, estimated, overdue int) {
	var work, longest float64
	for text := range p.selected {
		if p.ended[text] {
			continue
		}
		s, exact := p.estimate(text)
		if !exact {
			estimated++
		}
		if start, ok := p.running[text]; ok {
			ran := now.Sub(start).Seconds()
			if ran >= s {
				overdue++
				s = max(ran, 1)
			} else {
				s -= ran
			}
		}
		work += s
		longest = max(longest, s)
	}
	return time.Duration(max(work/float64(p.parallelism), longest) * float64(time.Second)), estimated, overdue
}

// line is the progress on one line.
func (p *progress) line(now time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	total, done := len(p.selected), len(p.ended)
	left, estimated, overdue := p.eta(now)
	how := "from the last run on this node"
	if estimated > 0 {
		how = fmt.Sprintf("%d of the specs left never ran on this node: their time is estimated", estimated)
	}
	if overdue > 0 {
		how += fmt.Sprintf("; %d running past their expected time", overdue)
	}
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	return fmt.Sprintf("specs %d/%d (%d%%) · %d failed · %d running · elapsed %s · ETA %s (%s)",
		done, total, pct, p.failed, len(p.running), roundMinutes(now.Sub(p.started)), roundMinutes(left), how)
}

func roundMinutes(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%dm", int(d.Round(time.Minute).Minutes()))
}

// follow reads the progress stream at path as the conformance processes
// append to it, until ctx ends, and logs the progress every interval and
// each failure as it happens.
func (p *progress) follow(ctx context.Context, path string, interval time.Duration, logger *slog.Logger) {
	var offset int64
	var partial string
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	next := time.Now().Add(interval)
	for {
		offset, partial = p.read(path, offset, partial, logger)
		if now := time.Now(); !now.Before(next) {
			logger.Info(p.line(now))
			next = now.Add(interval)
		}
		select {
		case <-ctx.Done():
			p.read(path, offset, partial, logger)
			return
		case <-tick.C:
		}
	}
}

// read applies the lines appended to path since offset; partial is a line
// not yet ended. It returns where it stopped.
func (p *progress) read(path string, offset int64, partial string, logger *slog.Logger) (int64, string) {
	f, err := os.Open(path)
	if err != nil {
		return offset, partial
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, partial
	}
	b, err := io.ReadAll(f)
	if err != nil || len(b) == 0 {
		return offset, partial
	}
	offset += int64(len(b))
	sc := bufio.NewScanner(strings.NewReader(partial + string(b)))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	partial = ""
	complete := strings.HasSuffix(string(b), "\n")
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if !complete && len(lines) > 0 {
		partial, lines = lines[len(lines)-1], lines[:len(lines)-1]
	}
	for _, l := range lines {
		var e results.ProgressEvent
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		if p.apply(e) {
			logger.Warn("spec failed: "+e.Spec, "message", e.Message)
			logger.Info(p.line(time.Now()))
		}
	}
	return offset, partial
}

// loadDurations reads the specs' durations of the last runs on the node.
func loadDurations(path string) map[string]float64 {
	known := map[string]float64{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &known)
	}
	return known
}

// saveDurations records, over those known, how long each spec that passed
// or failed in report took.
func saveDurations(path string, known map[string]float64, report *results.Report) error {
	for _, c := range report.Cases() {
		if text, ok := strings.CutPrefix(c.Name, "[It] "); ok && c.Status != results.StatusSkipped && c.Seconds > 0 {
			known[text] = c.Seconds
		}
	}
	b, err := json.Marshal(known)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
