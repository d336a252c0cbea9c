package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestBuiltOCILayout checks the OCI layout make image-oci built, named by
// NODE_TEST_OCI_DIR (make image-oci runs it): one index with the linux/amd64,
// linux/arm/v7 and linux/arm64 images, each holding the node-test,
// conformance.test and ginkgo binaries of its arch and the test image
// archives, and its node-test runs (under qemu-user for a foreign arch).
func TestBuiltOCILayout(t *testing.T) {
	dir := os.Getenv("NODE_TEST_OCI_DIR")
	if dir == "" {
		t.Skip("checks the layout make image-oci builds: NODE_TEST_OCI_DIR=_output/oci")
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	// The layout's index.json points to the image index.
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) == 1 && m.Manifests[0].MediaType.IsIndex() {
		if idx, err = idx.ImageIndex(m.Manifests[0].Digest); err != nil {
			t.Fatal(err)
		}
		if m, err = idx.IndexManifest(); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.Manifests) != len(Arches) {
		t.Fatalf("the index has %d manifests, want %d (amd64, arm/v7, arm64)", len(m.Manifests), len(Arches))
	}
	for _, arch := range Arches {
		t.Run(arch.Name, func(t *testing.T) {
			var found bool
			for _, d := range m.Manifests {
				if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != arch.GOARCH || d.Platform.Variant != arch.Variant {
					continue
				}
				found = true
				img, err := idx.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				cf, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if cf.Architecture != arch.GOARCH || cf.Variant != arch.Variant || cf.OS != "linux" {
					t.Errorf("config platform %s/%s/%s", cf.OS, cf.Architecture, cf.Variant)
				}
				size, err := imageSize(img)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("linux/%s%s: %s, %d MB compressed", arch.GOARCH, variantSuffix(arch), d.Digest, size>>20)
				files := imageFiles(t, img)
				for _, name := range []string{"usr/local/bin/node-test", "usr/local/bin/conformance.test", "usr/local/bin/ginkgo"} {
					b, ok := files[name]
					if !ok {
						t.Errorf("no /%s", name)
						continue
					}
					f, err := elf.NewFile(bytes.NewReader(b))
					if err != nil {
						t.Errorf("/%s: %v", name, err)
						continue
					}
					if uint16(f.Machine) != arch.ELFMachine {
						t.Errorf("/%s: ELF machine %v, want %d", name, f.Machine, arch.ELFMachine)
					}
				}
				for _, img := range Registry() {
					if _, ok := files["usr/local/images/"+arch.Name+"/"+img.Name+".tar"]; !ok {
						t.Errorf("no archive of test image %s", img.Name)
					}
				}
				bin := filepath.Join(t.TempDir(), "node-test")
				if err := os.WriteFile(bin, files["usr/local/bin/node-test"], 0o755); err != nil {
					t.Fatal(err)
				}
				argv := []string{bin, "version"}
				if arch.Name != HostArch().Name {
					emu, err := exec.LookPath(qemuUser[arch.Name])
					if err != nil {
						t.Fatalf("%s is needed to run %s binaries: apt-get install qemu-user-static", qemuUser[arch.Name], arch.Name)
					}
					argv = append([]string{emu}, argv...)
				}
				out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
				want := "linux/" + arch.GOARCH
				if err != nil || !strings.Contains(string(out), "kubernetes v1.37.2") || !strings.Contains(string(out), want) {
					t.Errorf("%v: %v\n%s\nwant kubernetes v1.37.2 and %s", argv, err, out, want)
				} else {
					t.Logf("%s", strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
				}
			}
			if !found {
				t.Errorf("the index has no linux/%s%s manifest", arch.GOARCH, variantSuffix(arch))
			}
		})
	}
}

func variantSuffix(a Arch) string {
	if a.Variant == "" {
		return ""
	}
	return "/" + a.Variant
}

// imageSize is the image's compressed size: manifest, config and layers.
func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}

// imageFiles returns the regular files of the image's layers by path.
func imageFiles(t *testing.T, img v1.Image) map[string][]byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				b, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				files[h.Name] = b
			}
		}
		rc.Close()
	}
	return files
}
