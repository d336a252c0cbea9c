package images

import (
	"bytes"
	"debug/elf"
	"os"
	"strings"
	"testing"

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
			platform := arch.Platform()
			var found bool
			for _, d := range m.Manifests {
				if d.Platform == nil || !d.Platform.Equals(platform) {
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
				size, err := imageBytes(img)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %s, %d MB compressed", platform.String(), d.Digest, size>>20)
				files := imageFiles(t, img)
				for _, name := range []string{"usr/local/bin/node-test", "usr/local/bin/conformance.test", "usr/local/bin/ginkgo"} {
					b, ok := files[name]
					if !ok {
						t.Errorf("no /%s", name)
						continue
					}
					f, err := elf.NewFile(bytes.NewReader(b.data))
					if err != nil {
						t.Errorf("/%s: %v", name, err)
						continue
					}
					if uint16(f.Machine) != arch.ELFMachine {
						t.Errorf("/%s: ELF machine %v, want %d", name, f.Machine, arch.ELFMachine)
					}
				}
				checkArchiveHoldsRegistry(t, files, arch)
				nodeTest, ok := files["usr/local/bin/node-test"]
				if !ok {
					continue
				}
				cmd := archCommand(t, arch, "node-test", nodeTest.data, "version")
				out, err := cmd.CombinedOutput()
				want := "linux/" + arch.GOARCH
				if err != nil || !strings.Contains(string(out), "kubernetes v1.37.2") || !strings.Contains(string(out), want) {
					t.Errorf("%v: %v\n%s\nwant kubernetes v1.37.2 and %s", cmd.Args, err, out, want)
				} else {
					t.Logf("%s", strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
				}
			}
			if !found {
				t.Errorf("the index has no %s manifest", platform.String())
			}
		})
	}
}

// checkArchiveHoldsRegistry checks that the node-test image's archive of
// test images for arch, /usr/local/images/<arch>/images.tar, holds every
// image of the registry for that arch.
func checkArchiveHoldsRegistry(t *testing.T, files map[string]*layerFile, arch Arch) {
	t.Helper()
	f, ok := files["usr/local/images/"+arch.Name+"/"+ArchiveName]
	if !ok {
		t.Errorf("no archive of the test images at /usr/local/images/%s/%s", arch.Name, ArchiveName)
		return
	}
	dir := t.TempDir()
	writeFile(t, Archive(dir, arch), string(f.data))
	for _, img := range Registry() {
		if _, err := FromArchive(dir, arch, img); err != nil {
			t.Error(err)
		}
	}
}
