package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Expose makes the host's directory p visible at p in this process's mount
// namespace, by a recursive bind mount of its path through the rootfs, for
// code that reaches the host by its own paths: upstream's node specs open
// the runtime's socket at its host path and serve device plugins in the
// kubelet's directory. It does nothing on the host itself (Root "/") or
// when p exists here already: it never covers a directory. It returns how
// to undo what it did (nil when it did nothing).
func (h *Host) Expose(p string) (undo func() error, err error) {
	if h.Root == "/" {
		return nil, nil
	}
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	src := h.Path(p)
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("expose the host's %s: %s is not a directory: %v", p, src, err)
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return nil, fmt.Errorf("expose the host's %s: %w", p, err)
	}
	if err := unix.Mount(src, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		_ = os.Remove(p)
		return nil, fmt.Errorf("expose the host's %s: bind-mount %s: %w", p, src, err)
	}
	return func() error {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w", p, err)
		}
		return os.Remove(p)
	}, nil
}
