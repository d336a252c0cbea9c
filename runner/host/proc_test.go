package host

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProcessesReadsTheRootfsProcessTable(t *testing.T) {
	root := fakeRootfs(t)
	for pid, cmdline := range map[string]string{
		"100":  "/usr/bin/kubelet\x00--config=/var/lib/kubelet/config.yaml\x00",
		"2":    "", // a kernel thread
		"31":   "containerd\x00--config\x00/etc/containerd/config.toml",
		"self": "not a pid\x00",
	} {
		if err := os.MkdirAll(filepath.Join(root, "proc", pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "proc", pid, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := h.Processes()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].PID != 31 || ps[1].PID != 100 {
		t.Fatalf("Processes = %+v, want pids 31 and 100 in order", ps)
	}
	if ps[1].Name() != "kubelet" || len(ps[1].Args) != 2 || ps[1].Args[1] != "--config=/var/lib/kubelet/config.yaml" {
		t.Errorf("kubelet process = %+v (name %q)", ps[1], ps[1].Name())
	}
	if ps[0].Name() != "containerd" || len(ps[0].Args) != 3 {
		t.Errorf("containerd process = %+v", ps[0])
	}
}
