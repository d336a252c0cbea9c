package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Progress events of a spec run: the conformance binary appends one JSON
// line to its --progress-file when a selected spec starts and when it ends,
// from every parallel process; the runner reads them as they come.
const (
	ProgressStart = "start"
	ProgressEnd   = "end"
	// ProgressPhase is a setup phase of the run, which the runner appends
	// once it ended: Time is its start, Seconds how long it took.
	ProgressPhase = "phase"
)

// TimelineFile is the stream in the report directory: what report.html
// draws the run's timeline from.
const TimelineFile = "timeline.jsonl"

// ProgressEvent is one line of the progress stream.
type ProgressEvent struct {
	Event string `json:"event"`
	Spec  string `json:"spec"`
	// Area is the text of the spec's top-level container:
	// "[sig-node] MirrorPod".
	Area    string    `json:"area,omitempty"`
	Process int       `json:"process"`
	Time    time.Time `json:"time"`
	// State is the spec's outcome (an end): passed, failed or skipped.
	State   Status  `json:"state,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Message is the first line of a failure's message.
	Message string `json:"message,omitempty"`
}

// AppendProgress appends e to the stream at path. Each event is one write
// of one line to a file opened O_APPEND: the lines of parallel processes do
// not interleave.
func AppendProgress(path string, e ProgressEvent) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the progress stream: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write the progress stream: %w", err)
	}
	return f.Close()
}

// LoadTimeline reads the events of a timeline stream, skipping a line it
// cannot read (the last one of a run killed as it wrote it).
func LoadTimeline(path string) ([]ProgressEvent, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var events []ProgressEvent
	for _, line := range bytes.Split(b, []byte("\n")) {
		var e ProgressEvent
		if len(bytes.TrimSpace(line)) > 0 && json.Unmarshal(line, &e) == nil {
			events = append(events, e)
		}
	}
	return events, nil
}
