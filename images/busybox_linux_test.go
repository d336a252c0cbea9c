package images

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-test/node-test/internal/testenv"
)

// TestBusyboxShellIsAsh builds the busybox image for every arch and runs its
// /bin/sh (natively, or under qemu-user for a foreign arch) as the specs do.
// It must be busybox ash that passes environment variables whose names are
// not shell names on to the commands it runs (the ConfigMap and Secret envFrom
// specs read data-1 from `sh -c env`), and that reports a write to a read-only
// filesystem in ash's words (the read-only rootfs spec), and that runs what
// PATH finds before its own applets.
func TestBusyboxShellIsAsh(t *testing.T) {
	b := testBuilder(t, "builds images: needs Go, apt and Debian's compilers")
	imgs := mustLookup(t, "busybox")
	buildForEachArch(t, b, imgs, func(t *testing.T, arch Arch, _ []Built) {
		files := archiveFiles(t, b.OutDir, arch, imgs[0])
		if sh := files["bin/sh"]; sh == nil || sh.Typeflag != tar.TypeSymlink || sh.Linkname != "busybox" {
			t.Fatalf("/bin/sh must be a symlink to busybox: %+v", sh)
		}
		bash := files["bin/bash"]
		if bash == nil || bash.Typeflag != tar.TypeReg || bytes.Equal(bash.data, files["bin/busybox"].data) {
			t.Errorf("/bin/bash must be bash, a binary of its own")
		}
		busybox := filepath.Join(t.TempDir(), "busybox")
		if err := os.WriteFile(busybox, files["bin/busybox"].data, 0o755); err != nil {
			t.Fatal(err)
		}
		sh := binShCommand(t, arch, busybox)

		t.Run("passes variables that are not shell names", func(t *testing.T) {
			cmd := sh("-c", "env")
			cmd.Env = []string{"PATH=/bin", "data-1=value-1", "p-data-1=value-1", "DATA_2=value-2"}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v: %s", cmd.Args, err, out)
			}
			lines := strings.Split(string(out), "\n")
			for _, want := range []string{"data-1=value-1", "p-data-1=value-1", "DATA_2=value-2"} {
				if !slices.Contains(lines, want) {
					t.Errorf("env 'data-1=value-1' /bin/sh -c env printed %q, want a line %q", out, want)
				}
			}
			t.Logf("env 'data-1=value-1' /bin/sh -c env: %q", out)
		})

		t.Run("runs the commands in PATH before its own applets", func(t *testing.T) {
			// agnhost's nc, which the networking specs run through
			// sh -c, must not be busybox's applet.
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "nc"), []byte("#!/bin/sh\necho nc from PATH\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := sh("-c", "nc")
			cmd.Env = []string{"PATH=" + dir}
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "nc from PATH" {
				t.Errorf("/bin/sh -c nc with PATH=%s printed %q, %v: want the nc in PATH, not the applet", dir, out, err)
			}
		})

		t.Run("has the applets upstream's image has", func(t *testing.T) {
			for name := range busyboxChanges {
				applet, ok := strings.CutPrefix(name, "CONFIG_")
				if !ok || strings.HasPrefix(applet, "FEATURE_") {
					continue
				}
				applet = strings.ToLower(applet)
				if f := files["bin/"+applet]; f == nil {
					t.Errorf("the image has no /bin/%s", applet)
				}
			}
			// Upstream's node suite stamps its containers' log lines with
			// date and nmeter's milliseconds, and parses them back. The
			// shell runs the applets as commands of their own: natively only.
			if arch.Name != HostArch().Name {
				return
			}
			cmd := sh("-c", "date -u +%FT$(nmeter -d0 '%3t' | head -n1)Z")
			cmd.Env = []string{"PATH=" + filepath.Dir(busybox)}
			for _, a := range []string{"date", "nmeter", "head"} {
				if err := os.Symlink("busybox", filepath.Join(filepath.Dir(busybox), a)); err != nil {
					t.Fatal(err)
				}
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v: %s", cmd.Args, err, out)
			}
			if _, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(out))); err != nil || !strings.Contains(string(out), ".") {
				t.Errorf("date with nmeter's milliseconds printed %q: %v; want an RFC 3339 time with milliseconds", out, err)
			}
		})

		t.Run("reports a read-only filesystem in ash's words", func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "file")
			inner := sh("-c", "echo > "+target)
			// A user and mount namespace of its own, where dir is
			// mounted read-only: nothing propagates back from such a
			// namespace, and the test needs no root.
			script := `mount -o bind,ro "$0" "$0" && exec -a "$1" "$2" "${@:3}"`
			cmd := exec.Command("/bin/bash", append([]string{"-c", script, dir, inner.Args[0], inner.Path}, inner.Args[1:]...)...)
			cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
				UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
				GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
			}
			out, err := cmd.CombinedOutput()
			if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) {
				testenv.Missing(t, "the kernel refuses a user namespace, which mounts a read-only directory: %v", err)
			}
			want := "/bin/sh: can't create " + target + ": Read-only file system"
			if err == nil || strings.TrimSpace(string(out)) != want {
				t.Fatalf("%v printed %q, %v; want %q and a failure", cmd.Args, out, err, want)
			}
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was written: %v", target, err)
			}
			t.Logf("/bin/sh -c 'echo > %s' on a read-only mount: %q", target, out)
		})
	})
}

// binShCommand returns a constructor of commands that run busybox as
// /bin/sh (argv[0], which names the applet and prefixes ash's messages),
// under qemu-user when arch is foreign.
func binShCommand(t *testing.T, arch Arch, busybox string) func(args ...string) *exec.Cmd {
	t.Helper()
	emu := emulator(t, arch)
	if emu == "" {
		return func(args ...string) *exec.Cmd {
			return &exec.Cmd{Path: busybox, Args: append([]string{"/bin/sh"}, args...)}
		}
	}
	return func(args ...string) *exec.Cmd {
		return &exec.Cmd{Path: emu, Args: append([]string{emu, "-0", "/bin/sh", busybox}, args...)}
	}
}
