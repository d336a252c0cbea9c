package host

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-test/node-test/internal/testenv"
)

func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"etc", "usr", "proc", "run/containerd"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestNewRefusesWhatIsNotARootfs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		root string
		want string
	}{
		"missing":   {root: "/nonexistent/rootfs", want: "no such file"},
		"file":      {root: file, want: "not a directory"},
		"empty dir": {root: t.TempDir(), want: "it has no /etc, /usr, /proc"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.root)
			if err == nil {
				t.Fatalf("New(%q) accepted it", tc.root)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "rootfs") {
				t.Errorf("error %q does not say %q and name the rootfs", err, tc.want)
			}
			if name != "missing" && !errors.Is(err, ErrNotRootfs) {
				t.Errorf("error %v is not ErrNotRootfs", err)
			}
		})
	}
}

func TestPathStaysUnderRoot(t *testing.T) {
	h, err := New(fakeRootfs(t))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/etc/os-release":    "/etc/os-release",
		"var/lib/kubelet":    "/var/lib/kubelet",
		"/../../etc/passwd":  "/etc/passwd",
		"/run/../etc/hosts/": "/etc/hosts",
	} {
		if got := h.Path(in); got != filepath.Join(h.Root, want) {
			t.Errorf("Path(%q) = %q, want %q", in, got, filepath.Join(h.Root, want))
		}
	}
}

// The host's symlinks lead to its own files through a mounted rootfs: an
// absolute target (Debian's /var/run -> /run, the kubelet's
// kubelet-client-current.pem -> /var/lib/kubelet/pki/kubelet-client-<date>.pem)
// starts again at the rootfs, and no target leads out of it.
func TestPathFollowsTheHostsSymlinks(t *testing.T) {
	root := fakeRootfs(t)
	h, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	pki := filepath.Join(root, "var/lib/kubelet/pki")
	if err := os.MkdirAll(pki, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pki, "kubelet-client-2026.pem"), []byte("pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"var/run": "/run",
		"var/lib/kubelet/pki/kubelet-client-current.pem": "/var/lib/kubelet/pki/kubelet-client-2026.pem",
		"var/lib/kubelet/pki/relative.pem":               "kubelet-client-2026.pem",
		"etc/escape":                                     "../../../../../etc",
		"etc/loop":                                       "/etc/loop",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	for in, want := range map[string]string{
		"/var/run/containerd/containerd.sock":             "/run/containerd/containerd.sock",
		"/var/lib/kubelet/pki/kubelet-client-current.pem": "/var/lib/kubelet/pki/kubelet-client-2026.pem",
		"/var/lib/kubelet/pki/relative.pem":               "/var/lib/kubelet/pki/kubelet-client-2026.pem",
		"/var/run/../etc/hosts":                           "/etc/hosts",
		"/etc/escape/passwd":                              "/etc/passwd",
		"/etc/loop":                                       "/etc/loop",
		"/var/lib/missing/file":                           "/var/lib/missing/file",
	} {
		if got := h.Path(in); got != filepath.Join(root, want) {
			t.Errorf("Path(%q) = %q, want %q", in, got, filepath.Join(root, want))
		}
	}
	b, err := h.ReadFile("/var/lib/kubelet/pki/kubelet-client-current.pem")
	if err != nil || string(b) != "pem" {
		t.Errorf("ReadFile through the absolute symlink = %q, %v; want the dated file's content", b, err)
	}
}

func TestRuntimesFindsSocketsUnderRootfs(t *testing.T) {
	root := fakeRootfs(t)
	h, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Runtime(""); !errors.Is(err, ErrNoRuntime) || !strings.Contains(err.Error(), filepath.Join(root, "run/containerd/containerd.sock")) {
		t.Fatalf("Runtime with no socket: %v, want ErrNoRuntime naming the paths looked at", err)
	}
	// A regular file is not a socket.
	if err := os.WriteFile(filepath.Join(root, "run/containerd/containerd.sock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if rs := h.Runtimes(); len(rs) != 0 {
		t.Fatalf("Runtimes found %v in a regular file", rs)
	}
	os.Remove(filepath.Join(root, "run/containerd/containerd.sock"))
	l, err := net.Listen("unix", filepath.Join(root, "run/containerd/containerd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := h.Runtime("")
	if err != nil || r.Name != "containerd" || r.Socket != "/run/containerd/containerd.sock" {
		t.Fatalf("Runtime = %+v, %v; want containerd at its host path", r, err)
	}
}

func TestLocalCmderReportsFailureWithOutput(t *testing.T) {
	c := LocalCmder{Root: "/"}
	out, err := c.Command(context.Background(), "sh", "-c", "echo hello").Output()
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	_, err = c.Command(context.Background(), "sh", "-c", "echo broken >&2; exit 3").Output()
	var re *RunError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *RunError", err)
	}
	if !strings.Contains(string(re.Output), "broken") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("RunError %q lacks the output or the exit status", err)
	}
}

// TestLocalCmderRunsTheHostsProgramsUnderARootfs runs a program that only
// the rootfs holds, by its path on that host, as node-test runs the host's
// journalctl from an image that has none: chrooted by the kernel. It needs
// root, and Debian's static ldconfig to stand for the host's program.
func TestLocalCmderRunsTheHostsProgramsUnderARootfs(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to chroot")
	}
	prog, err := os.ReadFile("/sbin/ldconfig")
	if err != nil {
		testenv.Missing(t, "needs Debian's static /sbin/ldconfig: %v", err)
	}
	root := fakeRootfs(t)
	const hostOnly = "/usr/lib/node-test-host-only/ldconfig"
	writeFile(t, filepath.Join(root, hostOnly), string(prog))
	if err := os.Chmod(filepath.Join(root, hostOnly), 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Cmder.Command(context.Background(), hostOnly, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "ldconfig") {
		t.Fatalf("%s under the rootfs %s: %q, %v", hostOnly, root, out, err)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
