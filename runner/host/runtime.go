package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ErrNoRuntime means no container runtime socket was found on the host.
var ErrNoRuntime = errors.New("no container runtime socket found")

// Runtime is a CRI runtime serving the host.
type Runtime struct {
	// Name is containerd, crio or cri-dockerd.
	Name string
	// Socket is the host's path of the CRI socket.
	Socket string
}

// UnknownRuntime is the Name of a runtime at no known runtime's socket: a
// CRI endpoint of its own, such as a proxy in front of a runtime.
const UnknownRuntime = "cri"

// knownRuntimes are the CRI sockets looked for, in order.
var knownRuntimes = []Runtime{
	{Name: "containerd", Socket: "/run/containerd/containerd.sock"},
	{Name: "crio", Socket: "/run/crio/crio.sock"},
	{Name: "cri-dockerd", Socket: "/run/cri-dockerd.sock"},
}

// Runtimes lists the CRI runtimes whose sockets exist on the host.
func (h *Host) Runtimes() []Runtime {
	var out []Runtime
	for _, r := range knownRuntimes {
		if fi, err := os.Stat(h.Path(r.Socket)); err == nil && fi.Mode()&os.ModeSocket != 0 {
			out = append(out, r)
		}
	}
	return out
}

// Runtime returns the runtime at endpoint (a host path or unix:// URL), or,
// when endpoint is empty, the node's (RuntimeSocket, once the run found it),
// else the first runtime found.
func (h *Host) Runtime(endpoint string) (Runtime, error) {
	if endpoint == "" {
		endpoint = h.RuntimeSocket
	}
	if endpoint != "" {
		p := strings.TrimPrefix(endpoint, "unix://")
		for _, r := range knownRuntimes {
			if r.Socket == p {
				return r, nil
			}
		}
		// A runtime at a socket of its own (a second node on the host)
		// is known by its socket's name.
		for _, r := range knownRuntimes {
			if path.Base(r.Socket) == path.Base(p) {
				return Runtime{Name: r.Name, Socket: p}, nil
			}
		}
		return Runtime{Name: UnknownRuntime, Socket: p}, nil
	}
	rs := h.Runtimes()
	if len(rs) == 0 {
		paths := make([]string, 0, len(knownRuntimes))
		for _, r := range knownRuntimes {
			paths = append(paths, h.Path(r.Socket))
		}
		return Runtime{}, fmt.Errorf("%w: looked for %s (is the runtime running, and the host's / mounted at %s?)",
			ErrNoRuntime, strings.Join(paths, ", "), h.Root)
	}
	return rs[0], nil
}

// Behind returns the host's runtime behind r, a runtime at no known
// runtime's socket (UnknownRuntime): the one of the kind r's CRI says it is
// (a proxy forwards the question), when the host has exactly one of that
// kind. A known runtime has none behind it.
func (h *Host) Behind(ctx context.Context, r Runtime) (Runtime, bool) {
	if r.Name != UnknownRuntime {
		return Runtime{}, false
	}
	cri, err := h.DialCRI(r)
	if err != nil {
		return Runtime{}, false
	}
	defer cri.Close()
	st, err := cri.Status(ctx)
	if err != nil {
		return Runtime{}, false
	}
	var found []Runtime
	for _, hr := range h.Runtimes() {
		if hr.Name == Kind(r, st) {
			found = append(found, hr)
		}
	}
	if len(found) != 1 {
		return Runtime{}, false
	}
	return found[0], true
}

// Kind is which runtime r is: containerd, crio or cri-dockerd, from its
// socket or, at another endpoint, the name its CRI gives (st).
func Kind(r Runtime, st RuntimeStatus) string {
	if r.Name != UnknownRuntime {
		return r.Name
	}
	name := strings.ToLower(st.Name)
	switch {
	case strings.Contains(name, "containerd"):
		return "containerd"
	case strings.Contains(name, "cri-o"), strings.Contains(name, "crio"):
		return "crio"
	case strings.Contains(name, "docker"):
		return "cri-dockerd"
	}
	return name
}

// CRI is a connection to a runtime's CRI services.
type CRI struct {
	conn    *grpc.ClientConn
	Runtime runtimeapi.RuntimeServiceClient
	Image   runtimeapi.ImageServiceClient
}

// DialCRI connects to r's CRI socket through the rootfs.
func (h *Host) DialCRI(r Runtime) (*CRI, error) {
	conn, err := grpc.NewClient("unix://"+h.Path(r.Socket),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		return nil, fmt.Errorf("connect to %s at %s: %w", r.Name, r.Socket, err)
	}
	return &CRI{conn: conn, Runtime: runtimeapi.NewRuntimeServiceClient(conn), Image: runtimeapi.NewImageServiceClient(conn)}, nil
}

// Close closes the connection.
func (c *CRI) Close() error { return c.conn.Close() }

// RuntimeStatus is what the runtime says of itself.
type RuntimeStatus struct {
	Name, Version   string
	RuntimeReady    bool
	NetworkReady    bool
	NotReadyReasons []string
}

// Status asks the runtime for its version and readiness conditions.
func (c *CRI) Status(ctx context.Context) (RuntimeStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := c.Runtime.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return RuntimeStatus{}, fmt.Errorf("get runtime version: %w", err)
	}
	st, err := c.Runtime.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		return RuntimeStatus{}, fmt.Errorf("get runtime status: %w", err)
	}
	out := RuntimeStatus{Name: v.RuntimeName, Version: v.RuntimeVersion}
	for _, c := range st.GetStatus().GetConditions() {
		switch c.Type {
		case runtimeapi.RuntimeReady:
			out.RuntimeReady = c.Status
		case runtimeapi.NetworkReady:
			out.NetworkReady = c.Status
		}
		if !c.Status {
			out.NotReadyReasons = append(out.NotReadyReasons, fmt.Sprintf("%s: %s %s", c.Type, c.Reason, c.Message))
		}
	}
	return out, nil
}

// ImageRefs lists every tag the runtime's images carry.
func (c *CRI) ImageRefs(ctx context.Context) ([]string, error) {
	resp, err := c.Image.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var refs []string
	for _, img := range resp.Images {
		refs = append(refs, img.RepoTags...)
	}
	return refs, nil
}
