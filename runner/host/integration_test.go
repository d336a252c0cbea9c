package host

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestIntegrationLocalNodeRuntimeReady asserts that the node's container
// runtime, seen through the rootfs "/", is ready, has its network ready and
// holds the images the local node is brought up with (make node-up).
func TestIntegrationLocalNodeRuntimeReady(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up)")
	}
	h, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.Runtime("")
	if err != nil {
		t.Fatalf("%v: bring the local node up with make node-up", err)
	}
	cri, err := h.DialCRI(r)
	if err != nil {
		t.Fatal(err)
	}
	defer cri.Close()
	ctx := context.Background()
	st, err := cri.Status(ctx)
	if err != nil {
		t.Fatalf("%s at %s: %v: bring the local node up with make node-up", r.Name, r.Socket, err)
	}
	t.Logf("runtime %s %s", st.Name, st.Version)
	if !st.RuntimeReady || !st.NetworkReady {
		t.Errorf("runtime not ready: RuntimeReady=%v NetworkReady=%v %v", st.RuntimeReady, st.NetworkReady, st.NotReadyReasons)
	}
	refs, err := cri.ImageRefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"registry.k8s.io/pause:3.10.2", "registry.k8s.io/e2e-test-images/busybox:1.37.0-2"} {
		if !slices.Contains(refs, want) {
			t.Errorf("runtime lacks image %s; it has %v", want, refs)
		}
	}
}

// TestIntegrationExposeBindsTheHostsDirectory exposes a directory of a
// rootfs at its own path, as a run in a container exposes the kubelet's
// directory, and undoes it; a path that exists is never covered. It mounts:
// it runs as root, as make test does.
func TestIntegrationExposeBindsTheHostsDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: mounts, as root")
	}
	root := t.TempDir()
	base, err := os.MkdirTemp("", "node-test-expose-")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(base) // the path must not exist here
	p := filepath.Join(base, "kubelet")
	if err := os.MkdirAll(filepath.Join(root, p, "device-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"etc", "usr", "proc"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	undo, err := h.Expose(p)
	if err != nil {
		t.Fatal(err)
	}
	if undo == nil {
		t.Fatalf("Expose(%s) did nothing", p)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	// What is written through the exposed path lands in the rootfs.
	if err := os.WriteFile(filepath.Join(p, "device-plugins", "kubelet.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, p, "device-plugins", "kubelet.sock")); err != nil {
		t.Errorf("a file written in the exposed %s is not in the rootfs: %v", p, err)
	}
	// An existing path is left as it is.
	if again, err := h.Expose(p); err != nil || again != nil {
		t.Errorf("Expose of an existing path = %v, %v; want nothing done", again != nil, err)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("%s is still there after undo: %v", p, err)
	}
	if _, err := os.Stat(filepath.Join(root, p, "device-plugins", "kubelet.sock")); err != nil {
		t.Errorf("undo removed the rootfs' file: %v", err)
	}
}
