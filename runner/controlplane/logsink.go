package controlplane

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"k8s.io/klog/v2"
)

// tailLines is how many of a component's last log lines a start error carries.
const tailLines = 30

// logSink is an io.Writer that appends to a file and remembers the last
// lines written. After close, writes are accepted and dropped, so late log
// lines from goroutines still winding down cannot fail or reach a closed file.
type logSink struct {
	mu      sync.Mutex
	file    *os.File
	partial []byte
	lines   []string // ring, at most tailLines
	next    int
	closed  bool
}

func newLogSink(path string) (*logSink, error) {
	s := &logSink{}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open log file: %w", err)
		}
		s.file = f
	}
	return s, nil
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return len(p), nil
	}
	if s.file != nil {
		_, _ = s.file.Write(p) // a full disk must not stop the apiserver
	}
	data := append(s.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		s.addLine(string(data[:i]))
		data = data[i+1:]
	}
	s.partial = append([]byte(nil), data...)
	return len(p), nil
}

func (s *logSink) addLine(line string) {
	if len(s.lines) < tailLines {
		s.lines = append(s.lines, line)
		return
	}
	s.lines[s.next] = line
	s.next = (s.next + 1) % tailLines
}

// tail returns the last lines written, oldest first.
func (s *logSink) tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.lines)+1)
	out = append(out, s.lines[s.next:]...)
	out = append(out, s.lines[:s.next]...)
	if len(s.partial) > 0 {
		out = append(out, string(s.partial))
	}
	return out
}

func (s *logSink) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.file == nil {
		return nil
	}
	return s.file.Close()
}

// ComponentError is returned by Start when etcd or the apiserver fails; it
// carries the component's last log lines.
type ComponentError struct {
	Component string   // "etcd" or "kube-apiserver"
	Err       error    // what went wrong
	Log       []string // the component's last log lines, oldest first
}

func (e *ComponentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "start %s: %v", e.Component, e.Err)
	if len(e.Log) > 0 {
		fmt.Fprintf(&b, "\nlast %d lines of the %s log:\n  %s", len(e.Log), e.Component, strings.Join(e.Log, "\n  "))
	}
	return b.String()
}

func (e *ComponentError) Unwrap() error { return e.Err }

// klogMu serializes redirectKlog with itself; klog's own state is global.
var klogMu sync.Mutex

// redirectKlog sends klog (the apiserver's and client-go's logger) to w only:
// no copy to stderr, one copy per message whatever its severity.
func redirectKlog(w io.Writer) {
	klogMu.Lock()
	defer klogMu.Unlock()
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for name, value := range map[string]string{
		"logtostderr":     "false",
		"alsologtostderr": "false",
		"stderrthreshold": "FATAL",
		"one_output":      "true",
	} {
		_ = fs.Set(name, value) // flags of the vendored klog; a missing one is harmless
	}
	klog.SetOutput(w)
}

// restoreKlog sends klog back to stderr, its default.
func restoreKlog() {
	klogMu.Lock()
	defer klogMu.Unlock()
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("one_output", "false")
	_ = fs.Set("logtostderr", "true")
	klog.SetOutput(os.Stderr)
}
