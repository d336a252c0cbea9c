package controlplane

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogSinkKeepsLastLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s, err := newLogSink(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tailLines + 5 {
		fmt.Fprintf(s, "line %d\n", i)
	}
	fmt.Fprint(s, "partial")
	got := s.tail()
	if len(got) != tailLines+1 || got[0] != "line 5" || got[tailLines-1] != fmt.Sprintf("line %d", tailLines+4) || got[tailLines] != "partial" {
		t.Errorf("tail() = %q", got)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Write([]byte("after close\n")); err != nil || n != 12 {
		t.Errorf("Write after close = %d, %v; want accepted and dropped", n, err)
	}
	data := readFile(t, path)
	if !strings.HasPrefix(data, "line 0\n") || strings.Contains(data, "after close") {
		t.Errorf("log file = %q", data)
	}
}

func TestComponentError(t *testing.T) {
	inner := errors.New("boom")
	err := error(&ComponentError{Component: "etcd", Err: inner, Log: []string{"a", "b"}})
	if !errors.Is(err, inner) {
		t.Error("ComponentError does not unwrap")
	}
	want := "start etcd: boom\nlast 2 lines of the etcd log:\n  a\n  b"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}
