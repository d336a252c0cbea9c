package results

import (
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
)

// ProgressEvent is one line of the progress stream.
type ProgressEvent struct {
	Event   string    `json:"event"`
	Spec    string    `json:"spec"`
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
