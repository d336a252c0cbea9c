package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-test/node-test/internal/testenv"
)

// TestGlibcImagesRunTheirPrograms builds nginx and glibc-dns-testing for
// every arch and checks that each dynamic binary inside finds its program
// interpreter and every library it needs in the image, then runs what the
// specs run in them on the image's own files: nginx (its configuration test
// in a chroot, as root, for this machine's arch; its version under qemu-user
// for a foreign one), and sh, hostname and sleep.
func TestGlibcImagesRunTheirPrograms(t *testing.T) {
	b := testBuilder(t, "builds images: needs Go and apt")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "runs the images' programs in a chroot: needs root")
	}
	imgs := mustLookup(t, "nginx", "glibc-dns-testing")
	buildForEachArch(t, b, imgs, func(t *testing.T, arch Arch, _ []Built) {
		for _, img := range imgs {
			files := archiveFiles(t, b.OutDir, arch, img)
			if n := checkLinked(t, files, arch); n == 0 {
				t.Errorf("%s: no dynamic binary inside", img.Name)
			}
			root := writeTree(t, files)
			// A container has a /dev; nginx opens its error log at /dev/stderr.
			for _, f := range []string{"dev/stderr", "dev/stdout"} {
				writeFile(t, filepath.Join(root, f), "")
			}
			// One program each: qemu-user does not follow an exec.
			probes := []struct {
				argv []string
				want string
			}{
				{[]string{"/bin/sh", "-c", "echo sh runs"}, "sh runs"},
				{[]string{"/bin/hostname"}, ""},
				{[]string{"/bin/sleep", "0"}, ""},
			}
			if img.Name == "nginx" {
				// The configuration test makes nginx's directories, which
				// qemu-user would make on this machine, not in root.
				nginx := struct {
					argv []string
					want string
				}{[]string{"/usr/sbin/nginx", "-t"}, "test is successful"}
				if emulator(t, arch) != "" {
					nginx.argv, nginx.want = []string{"/usr/sbin/nginx", "-V"}, "nginx version: nginx/"
				}
				probes = append(probes, nginx)
			}
			for _, p := range probes {
				argv, want := p.argv, p.want
				cmd := inRoot(t, arch, root, argv)
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), want) {
					t.Errorf("%s for %s: %v: %v\n%s\nwant %q", img.Name, arch.Name, argv, err, out, want)
				}
			}
		}
	})
}

// checkLinked checks that every dynamic ELF among files has its program
// interpreter and the libraries it needs in files, and returns how many
// there are.
func checkLinked(t *testing.T, files map[string]*layerFile, arch Arch) int {
	t.Helper()
	libDirs := []string{"lib/" + arch.GNU, "usr/lib/" + arch.GNU, "lib", "usr/lib"}
	n := 0
	for name, f := range files {
		if f.Typeflag != tar.TypeReg || !bytes.HasPrefix(f.data, []byte("\x7fELF")) {
			continue
		}
		e, err := elf.NewFile(bytes.NewReader(f.data))
		if err != nil {
			t.Errorf("/%s: %v", name, err)
			continue
		}
		for _, p := range e.Progs {
			if p.Type != elf.PT_INTERP {
				continue
			}
			interp := make([]byte, p.Filesz)
			if _, err := p.ReadAt(interp, 0); err != nil {
				t.Errorf("/%s: %v", name, err)
			}
			if _, ok := resolve(files, strings.TrimRight(string(interp), "\x00")); !ok {
				t.Errorf("/%s: its interpreter %s is not in the image", name, interp)
			}
			n++
		}
		libs, err := e.ImportedLibraries()
		if err != nil {
			t.Errorf("/%s: %v", name, err)
		}
		for _, lib := range libs {
			found := false
			for _, d := range libDirs {
				if _, ok := resolve(files, path.Join(d, lib)); ok {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("/%s needs %s, which is not in %v of the image", name, lib, libDirs)
			}
		}
		e.Close()
	}
	return n
}

// resolve follows the symlinks of p inside the image's files and returns the
// regular file it names.
func resolve(files map[string]*layerFile, p string) (*layerFile, bool) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	for range 16 {
		// A symlinked parent directory (lib64 → usr/lib64, …) is resolved first.
		dir, base := path.Split(p)
		if dir != "" {
			d, ok := resolveDir(files, strings.TrimSuffix(dir, "/"))
			if !ok {
				return nil, false
			}
			p = path.Join(d, base)
		}
		f, ok := files[p]
		if !ok {
			return nil, false
		}
		if f.Typeflag != tar.TypeSymlink {
			return f, f.Typeflag == tar.TypeReg
		}
		if path.IsAbs(f.Linkname) {
			p = strings.TrimPrefix(path.Clean(f.Linkname), "/")
		} else {
			p = path.Join(path.Dir(p), f.Linkname)
		}
	}
	return nil, false
}

// resolveDir follows the symlinks among the components of the directory p.
func resolveDir(files map[string]*layerFile, p string) (string, bool) {
	out := ""
	for _, c := range strings.Split(p, "/") {
		out = path.Join(out, c)
		for range 16 {
			f, ok := files[out]
			if !ok {
				return "", false
			}
			if f.Typeflag != tar.TypeSymlink {
				break
			}
			if path.IsAbs(f.Linkname) {
				out = strings.TrimPrefix(path.Clean(f.Linkname), "/")
			} else {
				out = path.Join(path.Dir(out), f.Linkname)
			}
		}
	}
	return out, true
}

// writeTree writes the image's files under a new directory and returns it.
func writeTree(t *testing.T, files map[string]*layerFile) string {
	t.Helper()
	root := t.TempDir()
	for name, f := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch f.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, os.FileMode(f.Mode).Perm())
		case tar.TypeSymlink:
			err = os.Symlink(f.Linkname, p)
		case tar.TypeReg:
			err = os.WriteFile(p, f.data, os.FileMode(f.Mode).Perm())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// inRoot is a command running argv with root as its /: in a chroot for
// this machine's arch, under qemu-user with root as its prefix for another.
func inRoot(t *testing.T, arch Arch, root string, argv []string) *exec.Cmd {
	t.Helper()
	if emu := emulator(t, arch); emu != "" {
		return exec.Command(emu, append([]string{"-L", root, filepath.Join(root, argv[0])}, argv[1:]...)...)
	}
	return exec.Command("chroot", append([]string{root}, argv...)...)
}
