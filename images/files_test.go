package images

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/node-test/node-test/internal/testenv"
)

// testBuilder returns a builder of the module's images into a temporary
// directory, with the module's cache, or skips the test in -short mode
// (why says what building needs) and off Debian.
func testBuilder(t *testing.T, why string) *Builder {
	t.Helper()
	if testing.Short() {
		t.Skip(why)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		testenv.Missing(t, "needs a Debian machine (apt-get)")
	}
	_, file, _, _ := runtime.Caller(0)
	module := filepath.Dir(filepath.Dir(file))
	return &Builder{ModuleDir: module, OutDir: t.TempDir(), CacheDir: filepath.Join(module, "_output", "images", ".cache")}
}

// mustLookup returns the images called names.
func mustLookup(t *testing.T, names ...string) []Image {
	t.Helper()
	imgs, err := Lookup(names...)
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

// buildForEachArch builds imgs with b for every arch, then runs check on
// what was built, in a subtest per arch.
func buildForEachArch(t *testing.T, b *Builder, imgs []Image, check func(t *testing.T, arch Arch, built []Built)) {
	t.Helper()
	for _, arch := range Arches {
		t.Run(arch.Name, func(t *testing.T) {
			built, err := b.Build(context.Background(), arch, imgs)
			if err != nil {
				t.Fatal(err)
			}
			check(t, arch, built)
		})
	}
}

// layerFile is an entry of an image's layers, with its content.
type layerFile struct {
	*tar.Header
	data []byte
}

// imageFiles reads the entries of the image's layers by path, directories
// without their trailing slash; an entry of a later layer replaces one of an
// earlier layer.
func imageFiles(t *testing.T, img v1.Image) map[string]*layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*layerFile{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range readTar(t, rc) {
			files[strings.TrimSuffix(f.Name, "/")] = f
		}
		rc.Close()
	}
	return files
}

// readTar reads the entries of the tar stream r, in order, with their
// content.
func readTar(t *testing.T, r io.Reader) []*layerFile {
	t.Helper()
	var out []*layerFile
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &layerFile{Header: h, data: data})
	}
}

// archiveFiles reads the files of image img from the archive of arch's
// images under dir.
func archiveFiles(t *testing.T, dir string, arch Arch, img Image) map[string]*layerFile {
	t.Helper()
	v, err := FromArchive(dir, arch, img)
	if err != nil {
		t.Fatal(err)
	}
	return imageFiles(t, v)
}

// qemuUser names Debian's qemu-user-static emulator of each foreign arch.
var qemuUser = map[string]string{"arm": "qemu-arm-static", "arm64": "qemu-aarch64-static"}

// emulator returns the qemu-user emulator that runs arch's binaries on this
// machine, or "" for this machine's own arch.
func emulator(t *testing.T, arch Arch) string {
	t.Helper()
	if arch.Name == HostArch().Name {
		return ""
	}
	emu, err := exec.LookPath(qemuUser[arch.Name])
	if err != nil {
		t.Fatalf("%s is needed to run %s binaries: apt-get install qemu-user-static (make node-up installs it)", qemuUser[arch.Name], arch.Name)
	}
	return emu
}

// archCommand returns a command running the binary data, built for arch,
// as a file called name (busybox reads its applet from it), with args on
// this machine: under qemu-user for a foreign arch.
func archCommand(t *testing.T, arch Arch, name string, data []byte, args ...string) *exec.Cmd {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if emu := emulator(t, arch); emu != "" {
		return exec.Command(emu, append([]string{bin}, args...)...)
	}
	return exec.Command(bin, args...)
}
