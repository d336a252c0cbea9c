package priority

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOf(t *testing.T) {
	known := map[string]float64{"[sig-node] Pods should cap back-off": 1576.2, "[sig-node] quick": 0.4}
	for text, want := range map[string]int{
		"[sig-node] Pods should cap back-off": 1577,
		"[sig-node] quick":                    1,
		"[sig-node] never ran":                DefaultSeconds,
		"[sig-node] never ran [Slow]":         SlowSeconds,
	} {
		if got := Of(known, text); got != want {
			t.Errorf("Of(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "durations.json")
	if err := os.WriteFile(good, []byte(`{"a spec": 12.5}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(good)
	if err != nil || m["a spec"] != 12.5 {
		t.Fatalf("Load: %v, %v", m, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`["a spec"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil {
		t.Fatal("Load of a JSON array: no error")
	}
	// The node's first run: no file yet, no duration known.
	if m, err := Load(filepath.Join(dir, "missing.json")); err != nil || len(m) != 0 {
		t.Fatalf("Load of a file not written yet: %v, %v; want no durations, no error", m, err)
	}
	// A directory where the file should be is an error, not a first run.
	if _, err := Load(dir); err == nil {
		t.Fatal("Load of a directory: no error")
	}
}
