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

	proxy, err := h.Runtime("unix:///run/p/proxy.sock")
	if err != nil || proxy.Name != "cri" {
		t.Fatalf("Runtime(proxy) = %+v, %v; want an unknown CRI", proxy, err)
	}
	b, ok := h.Behind(context.Background(), proxy)
	if !ok || b != (Runtime{Name: "containerd", Socket: "/run/containerd/containerd.sock"}) {
		t.Errorf("Behind(proxy) = %+v, %v; want containerd at its socket", b, ok)
	}
	if b, ok := h.Behind(context.Background(), Runtime{Name: "cri", Socket: "/run/p/other.sock"}); ok {
		t.Errorf("Behind(other) = %+v; want none, the host has no runtime of its name", b)
	}
	if b, ok := h.Behind(context.Background(), Runtime{Name: "cri", Socket: "/run/p/absent.sock"}); ok {
		t.Errorf("Behind(absent) = %+v; want none", b)
	}
}
