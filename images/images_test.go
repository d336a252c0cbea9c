package images

import (
	"archive/tar"
	"bytes"
	"crypto/tls"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLookupArch(t *testing.T) {
	for in, want := range map[string]string{"amd64": "amd64", "x86_64": "amd64", "arm": "arm", "armhf": "arm", "arm64": "arm64", "aarch64": "arm64"} {
		a, err := LookupArch(in)
		if err != nil || a.Name != want {
			t.Errorf("LookupArch(%q) = %v, %v; want %s", in, a.Name, err, want)
		}
	}
	if _, err := LookupArch("s390x"); err == nil || !strings.Contains(err.Error(), "amd64, arm, arm64") {
		t.Errorf("unknown arch error must list the known ones: %v", err)
	}
}

func TestRegistryUsesTheFrameworksNames(t *testing.T) {
	want := map[string]string{
		"pause":   "registry.k8s.io/pause:3.10.2",
		"busybox": "registry.k8s.io/e2e-test-images/busybox:1.37.0-2",
		"agnhost": "registry.k8s.io/e2e-test-images/agnhost:2.66.1",
	}
	for _, img := range Registry() {
		if w, ok := want[img.Name]; ok && img.Ref != w {
			t.Errorf("%s is %s, the pinned framework expects %s", img.Name, img.Ref, w)
		}
	}
	if _, err := Lookup("pause", "nope"); err == nil || !strings.Contains(err.Error(), `unknown image "nope"`) {
		t.Errorf("Lookup of an unknown image: %v", err)
	}
}

func TestRootfsTarIsReproducible(t *testing.T) {
	mk := func() []byte {
		fs := newRootfs()
		fs.file("etc/passwd", 0o644, []byte("root:x:0:0::/root:/bin/sh\n"))
		fs.symlink("bin/sh", "busybox")
		fs.dir("tmp", 0o1777)
		var b bytes.Buffer
		if err := fs.tar(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := mk(), mk()
	if !bytes.Equal(a, b) {
		t.Fatal("the same tree gave two different tars")
	}
	var names []string
	for _, h := range readTar(t, bytes.NewReader(a)) {
		names = append(names, h.Name)
		if h.Name == "tmp/" && h.Mode != 0o1777 {
			t.Errorf("/tmp mode %o, want 1777", h.Mode)
		}
		if h.Uid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("%s: uid %d mtime %v: owner and time must be fixed", h.Name, h.Uid, h.ModTime)
		}
	}
	if strings.Join(names, " ") != "bin/ bin/sh etc/ etc/passwd tmp/" {
		t.Errorf("entries %v: parents must come first, sorted", names)
	}
}

// TestBuildImagesForEveryArch builds pause, busybox, agnhost and
// agnhost-prev for every arch and checks each binary inside carries its
// arch's ELF machine and runs (under qemu-user for a foreign arch); the
// image config names the platform; the arch's archive holds the layers the
// images share once.
func TestBuildImagesForEveryArch(t *testing.T) {
	b := testBuilder(t, "builds images: needs Go and apt")
	imgs := mustLookup(t, "pause", "busybox", "agnhost", "agnhost-prev")
	buildForEachArch(t, b, imgs, func(t *testing.T, arch Arch, built []Built) {
		for _, bt := range built {
			img, err := FromArchive(b.OutDir, arch, bt.Image)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Architecture != arch.GOARCH || cf.Variant != arch.Variant || cf.OS != "linux" {
				t.Errorf("%s: platform %s/%s/%s", bt.Image.Name, cf.OS, cf.Architecture, cf.Variant)
			}
			files := imageFiles(t, img)
			if elfs := checkELF(t, files, arch); elfs == 0 {
				t.Errorf("%s: no binary inside", bt.Image.Name)
			}
			runUnderQEMU(t, files, arch, bt.Image.Name)
			if bt.Image.Name == "agnhost" {
				checkTLSPair(t, files)
			}
		}
		checkSharedLayers(t, b.OutDir, arch, built)
	})

	t.Run("multi-arch index", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "oci")
		p, err := WriteIndexLayout(out, b.OutDir, imgs)
		if err != nil {
			t.Fatal(err)
		}
		top, err := p.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		m, err := top.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Manifests) != len(imgs) {
			t.Fatalf("the layout has %d indexes, want one per image (%d)", len(m.Manifests), len(imgs))
		}
		for i, d := range m.Manifests {
			if d.Annotations[refNameAnnotation] != imgs[i].Ref {
				t.Errorf("index %d is annotated %v, want %s", i, d.Annotations, imgs[i].Ref)
			}
			idx, err := top.ImageIndex(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var platforms []string
			for _, md := range im.Manifests {
				platforms = append(platforms, md.Platform.String())
			}
			var want []string
			for _, a := range Arches {
				p := a.Platform()
				want = append(want, p.String())
			}
			if !slices.Equal(platforms, want) {
				t.Errorf("%s: platforms %v, want %v", imgs[i].Name, platforms, want)
			}
		}
	})
}

// checkSharedLayers checks that the images built share layers as their
// recipes say (agnhost-prev all of agnhost's, agnhost busybox's) and that
// the archive holds each shared layer once: it is smaller than the images
// it holds by the bytes of the layers they share.
func checkSharedLayers(t *testing.T, dir string, arch Arch, built []Built) {
	t.Helper()
	layers := map[string][]string{}
	var sum, shared int64
	for i, bt := range built {
		img, err := FromArchive(dir, arch, bt.Image)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Layers {
			layers[bt.Image.Name] = append(layers[bt.Image.Name], l.Digest.String())
			if seen := slices.ContainsFunc(built[:i], func(o Built) bool {
				return slices.Contains(layers[o.Image.Name], l.Digest.String())
			}); seen {
				shared += l.Size
			}
		}
		sum += bt.Bytes
	}
	if !slices.Equal(layers["agnhost-prev"], layers["agnhost"]) {
		t.Errorf("agnhost-prev's layers %v are not agnhost's %v", layers["agnhost-prev"], layers["agnhost"])
	}
	if len(layers["agnhost"]) != 2 || layers["agnhost"][0] != layers["busybox"][0] {
		t.Errorf("agnhost's layers %v must be busybox's %v and its own", layers["agnhost"], layers["busybox"])
	}
	fi, err := os.Stat(Archive(dir, arch))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > sum-shared+1<<20 {
		t.Errorf("the archive is %d bytes: the images are %d, %d of them in shared layers; want at most %d (a shared layer is stored once)", fi.Size(), sum, shared, sum-shared+1<<20)
	}
	t.Logf("%s: archive %d bytes for %d bytes of images, %d shared", arch.Name, fi.Size(), sum, shared)
}

// checkTLSPair checks that agnhost carries a certificate and its key at
// /localhost.crt and /localhost.key, which the HTTPS lifecycle hook specs
// have agnhost netexec serve with.
func checkTLSPair(t *testing.T, files map[string]*layerFile) {
	t.Helper()
	crt, key := files["localhost.crt"], files["localhost.key"]
	if crt == nil || key == nil {
		t.Errorf("agnhost has no /localhost.crt or /localhost.key")
		return
	}
	if _, err := tls.X509KeyPair(crt.data, key.data); err != nil {
		t.Errorf("agnhost's /localhost.crt and /localhost.key: %v", err)
	}
}

// runUnderQEMU runs the image's main binary (busybox echo, pause -v,
// agnhost --help) under qemu-user to prove it executes on its arch; native
// binaries run as they are.
func runUnderQEMU(t *testing.T, files map[string]*layerFile, arch Arch, name string) {
	t.Helper()
	probe, ok := map[string]struct {
		file string
		args []string
		want string
	}{
		"busybox": {"bin/busybox", []string{"echo", "hello from busybox"}, "hello from busybox"},
		"pause":   {"pause", []string{"-v"}, "pause node-test-pause"},
		"agnhost": {"agnhost", []string{"--help"}, "Usage:"},
	}[name]
	if !ok {
		return
	}
	f, ok := files[probe.file]
	if !ok {
		t.Fatalf("%s: no %s in the image", name, probe.file)
	}
	cmd := archCommand(t, arch, filepath.Base(probe.file), f.data, probe.args...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), probe.want) {
		t.Errorf("%s for %s: %v printed %q, %v; want %q", name, arch.Name, cmd.Args, out, err, probe.want)
	}
}

// checkELF checks that every ELF regular file among files carries arch's
// machine, and returns how many there are.
func checkELF(t *testing.T, files map[string]*layerFile, arch Arch) int {
	t.Helper()
	n := 0
	for name, f := range files {
		if f.Typeflag != tar.TypeReg {
			continue
		}
		e, err := elf.NewFile(bytes.NewReader(f.data))
		if err != nil {
			continue
		}
		n++
		if uint16(e.Machine) != arch.ELFMachine {
			t.Errorf("%s: ELF machine %v, want %d for %s", name, e.Machine, arch.ELFMachine, arch.Name)
		}
	}
	return n
}
