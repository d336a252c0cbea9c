package host

import (
	"context"
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
