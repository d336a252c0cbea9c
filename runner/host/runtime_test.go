package host

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// versionCRI answers Version with its name, and Status.
type versionCRI struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	name string
}

func (f versionCRI) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: f.name, RuntimeVersion: "v9.9.9"}, nil
}

func (f versionCRI) Status(context.Context, *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{}}, nil
}

// listen serves a CRI answering as name at the host path socket under root.
func listen(t *testing.T, root, socket, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, filepath.Dir(socket)), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(root, socket))
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(s, versionCRI{name: name})
	go s.Serve(l)
	t.Cleanup(s.Stop)
}

// A CRI proxy at a socket of its own forwards Version: the runtime behind it
// is the host's runtime of the name it gives, and none when the host has
// none of that name.
func TestBehindACRIProxy(t *testing.T) {
	// A short root: a unix socket's path is at most 108 bytes.
	root, err := os.MkdirTemp("", "nt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	h := &Host{Root: root}
	listen(t, root, "/run/containerd/containerd.sock", "containerd")
	listen(t, root, "/run/p/proxy.sock", "containerd")
	listen(t, root, "/run/p/other.sock", "some-runtime")
	listen(t, root, "/run/crio/crio.sock", "cri-o")
	listen(t, root, "/run/p/crio-proxy.sock", "cri-o")

	proxy, err := h.Runtime("unix:///run/p/proxy.sock")
	if err != nil || proxy.Name != UnknownRuntime {
		t.Fatalf("Runtime(proxy) = %+v, %v; want an unknown CRI", proxy, err)
	}
	b, ok := h.Behind(context.Background(), proxy)
	if !ok || b != (Runtime{Name: "containerd", Socket: "/run/containerd/containerd.sock"}) {
		t.Errorf("Behind(proxy) = %+v, %v; want containerd at its socket", b, ok)
	}
	// CRI-O gives its name as cri-o; its socket is crio's.
	if b, ok := h.Behind(context.Background(), Runtime{Name: UnknownRuntime, Socket: "/run/p/crio-proxy.sock"}); !ok || b != (Runtime{Name: "crio", Socket: "/run/crio/crio.sock"}) {
		t.Errorf("Behind(crio-proxy) = %+v, %v; want crio at its socket", b, ok)
	}
	// A known runtime is none's proxy.
	if b, ok := h.Behind(context.Background(), Runtime{Name: "containerd", Socket: "/run/containerd/containerd.sock"}); ok {
		t.Errorf("Behind(containerd) = %+v; want none", b)
	}
	if b, ok := h.Behind(context.Background(), Runtime{Name: UnknownRuntime, Socket: "/run/p/other.sock"}); ok {
		t.Errorf("Behind(other) = %+v; want none, the host has no runtime of its name", b)
	}
	if b, ok := h.Behind(context.Background(), Runtime{Name: UnknownRuntime, Socket: "/run/p/absent.sock"}); ok {
		t.Errorf("Behind(absent) = %+v; want none", b)
	}
}

// Once the run knows the node's runtime socket, a runtime asked for
// without an endpoint is that one, not the first of the host's.
func TestRuntimeIsTheNodesOnceKnown(t *testing.T) {
	h := &Host{Root: t.TempDir(), RuntimeSocket: "/run/node-test-node-2/containerd.sock"}
	r, err := h.Runtime("")
	if err != nil || r.Name != "containerd" || r.Socket != "/run/node-test-node-2/containerd.sock" {
		t.Errorf("Runtime(\"\") = %+v, %v", r, err)
	}
}
