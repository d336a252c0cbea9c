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

// On a host of two nodes, each node's run finds its own kubelet (by the
// name it registers) and its own runtime (by its socket).
func TestFindDaemonOfTheNode(t *testing.T) {
	procs := []Process{
		{PID: 10, Args: []string{"/usr/bin/containerd"}},
		{PID: 11, Args: []string{"/usr/bin/containerd", "--config", "/etc/node-2/containerd.toml", "--address", "/run/node-2/containerd.sock"}},
		{PID: 20, Args: []string{"/usr/local/bin/kubelet", "--config=/var/lib/kubelet/config.yaml"}},
		{PID: 21, Args: []string{"/usr/local/bin/kubelet", "--hostname-override", "Node-2", "--config=/var/lib/node-2/config.yaml"}},
		{PID: 30, Args: []string{"/usr/bin/dockerd"}},
	}
	for _, tc := range []struct {
		node, socket, daemon string
		want                 int
	}{
		{"", "", "kubelet", 20},
		{"vm", "", "kubelet", 20},
		{"node-2", "", "kubelet", 21},
		{"vm", "/run/containerd/containerd.sock", "containerd", 10},
		{"node-2", "/run/node-2/containerd.sock", "containerd", 11},
		{"node-2", "", "containerd", 10},
		{"node-2", "/run/node-2/containerd.sock", "dockerd", 30},
	} {
		h := &Host{Root: "/", Node: tc.node, RuntimeSocket: tc.socket}
		p, ok := h.FindDaemon(procs, tc.daemon)
		if !ok || p.PID != tc.want {
			t.Errorf("node %q socket %q: %s is pid %d (%t), want %d", tc.node, tc.socket, tc.daemon, p.PID, ok, tc.want)
		}
	}
	if _, ok := (&Host{Root: "/"}).FindDaemon(procs, "crio"); ok {
		t.Error("found a crio process where there is none")
	}
}
