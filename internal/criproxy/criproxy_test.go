package criproxy

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-test/node-test/internal/testenv"
)

// containerdSocket is where the local node's containerd serves (make node-up).
const containerdSocket = "/run/containerd/containerd.sock"

func TestNewRefusesAnUnknownBreak(t *testing.T) {
	dir := t.TempDir()
	_, err := New(slog.New(slog.DiscardHandler), filepath.Join(dir, "proxy.sock"), filepath.Join(dir, "runtime.sock"),
		"/runtime.v1.RuntimeService/Attach")
	if !errors.Is(err, ErrUnknownBreak) {
		t.Fatalf("New with an Attach break: %v, want ErrUnknownBreak", err)
	}
}

// TestIntegrationProxyForwardsToContainerd puts the proxy in front of the
// local node's containerd: CRI's two services, containerd's own API
// (streaming content reads included) and the runtime's error codes come
// through as they are, and only ReopenContainerLog, broken, is answered
// without containerd.
func TestIntegrationProxyForwardsToContainerd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node's containerd (make node-up)")
	}
	if _, err := os.Stat(containerdSocket); err != nil {
		testenv.Missing(t, "no containerd serves %s: %v (make node-up)", containerdSocket, err)
	}
	if os.Getuid() != 0 {
		testenv.Missing(t, "containerd's socket %s takes root", containerdSocket)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	socket := filepath.Join(t.TempDir(), "cri.sock")
	p, err := New(slog.New(slog.NewTextHandler(t.Output(), nil)), socket, containerdSocket, ReopenContainerLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	})
	direct, proxied := dial(t, containerdSocket), dial(t, socket)

	v, err := runtimeapi.NewRuntimeServiceClient(proxied).Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil || v.RuntimeName != "containerd" {
		t.Fatalf("Version through the proxy: %v, %v; want containerd's", v, err)
	}
	want, err := runtimeapi.NewImageServiceClient(direct).ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := runtimeapi.NewImageServiceClient(proxied).ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil || len(got.Images) != len(want.Images) || len(want.Images) == 0 {
		t.Fatalf("ListImages through the proxy: %d images, %v; containerd lists %d", len(got.GetImages()), err, len(want.Images))
	}
	_, err = runtimeapi.NewRuntimeServiceClient(proxied).ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "node-test-no-such-container"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("ContainerStatus of no container through the proxy: %v, want containerd's NotFound", err)
	}

	reopen := &runtimeapi.ReopenContainerLogRequest{ContainerId: "node-test-no-such-container"}
	if _, err := runtimeapi.NewRuntimeServiceClient(direct).ReopenContainerLog(ctx, reopen); err == nil {
		t.Fatal("containerd reopened the log of no container: the broken call would show nothing")
	}
	if _, err := runtimeapi.NewRuntimeServiceClient(proxied).ReopenContainerLog(ctx, reopen); err != nil {
		t.Fatalf("ReopenContainerLog through the proxy reached containerd: %v", err)
	}

	// containerd's own API: an image's config, read from its content store
	// by a server-streaming call.
	c, err := containerd.New(socket, containerd.WithDefaultNamespace("k8s.io"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	imgs, err := c.ListImages(ctx)
	if err != nil || len(imgs) == 0 {
		t.Fatalf("containerd's image list through the proxy: %d images, %v", len(imgs), err)
	}
	spec, err := imgs[0].Spec(ctx)
	if err != nil || spec.Architecture == "" {
		t.Fatalf("the config of %s, read through the proxy: %+v, %v", imgs[0].Name(), spec, err)
	}
}

func dial(t *testing.T, socket string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
