package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotRootfs means a path given as the host's root filesystem is not one.
var ErrNotRootfs = errors.New("not a root filesystem")

// Host is the host seen through its root filesystem.
type Host struct {
	// Root is where the host's / is mounted: "/" on the host itself.
	Root string
	// Cmder runs commands on the host.
	Cmder Cmder
	// Node is the name of the node under test, when known: on a host of
	// several kubelets (nodes sharing a machine), that of the kubelet
	// registering this name. RuntimeSocket is that node's runtime's socket,
	// when known: that of its runtime among several.
	Node, RuntimeSocket string
}

// New returns the host whose root filesystem is mounted at root, after
// checking that root looks like one: an /etc and a /proc or /usr.
func New(root string) (*Host, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve rootfs %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("rootfs %s: %w (mount the host's / there: -v /:/rootfs, or pass --rootfs /)", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("rootfs %s: %w: it is not a directory (pass --rootfs /, or mount -v /:/rootfs)", abs, ErrNotRootfs)
	}
	var missing []string
	for _, want := range []string{"etc", "usr", "proc"} {
		if _, err := os.Stat(filepath.Join(abs, want)); err != nil {
			missing = append(missing, "/"+want)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("rootfs %s: %w: it has no %s (pass --rootfs /, or mount the host's / with -v /:/rootfs)",
			abs, ErrNotRootfs, strings.Join(missing, ", "))
	}
	return &Host{Root: abs, Cmder: LocalCmder{Root: abs}}, nil
}

// maxSymlinks bounds the symlinks followed in one path, as Linux's ELOOP.
const maxSymlinks = 40

// Path is the path, in this process, of the host's absolute path p. The
// symlinks on the way are followed as the host would follow them: an
// absolute target starts again at the host's root, not this process's, so
// /var/run -> /run or kubelet-client-current.pem -> /var/lib/kubelet/pki/…
// lead to the host's files through a mounted rootfs. Components that do not
// exist are kept as they are, for the caller's open to report.
func (h *Host) Path(p string) string {
	if h.Root == "/" {
		return filepath.Clean("/" + p)
	}
	// ".." applies to where a symlink led, as for the kernel: not cleaned
	// away beforehand.
	resolved, rest, links := "/", strings.Split(p, "/"), 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, c)
		target, err := os.Readlink(filepath.Join(h.Root, next))
		if err != nil || links >= maxSymlinks {
			// Not a symlink (or one too many): taken as it is.
			resolved = next
			continue
		}
		links++
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return filepath.Join(h.Root, resolved)
}

// ReadFile reads the host's file p.
func (h *Host) ReadFile(p string) ([]byte, error) {
	return os.ReadFile(h.Path(p))
}

// Exists reports whether the host has a file at p.
func (h *Host) Exists(p string) bool {
	_, err := os.Stat(h.Path(p))
	return err == nil
}
