package images

import (
	"bytes"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestBuiltOCILayout checks the OCI layout make image-oci built, named by
// NODE_TEST_OCI_DIR (make image-oci runs it): one index with the linux/amd64,
// linux/arm/v7 and linux/arm64 images, each holding the node-test,
// conformance.test and ginkgo binaries of its arch and the test image
// archives. Each arch's binaries run, under qemu-user for a foreign arch:
// node-test version; conformance.test's dry run of the default selection,
// the same number of specs on every arch; node-test controlplane, whose
// etcd, API server and namespace controller must serve.
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
	// specs counts, per arch, the specs the default selection runs.
	specs := map[string]int{}
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
				if conf, ok := files["usr/local/bin/conformance.test"]; ok {
					specs[arch.Name] = countDefaultSpecs(t, arch, conf.data)
				}
				checkControlPlaneServes(t, arch, nodeTest.data)
			}
			if !found {
				t.Errorf("the index has no %s manifest", platform.String())
			}
		})
	}
	// Every arch's image certifies a node with the same specs, upstream's
	// node suite among them: common's 410 and node-test's own alone make
	// fewer than 500.
	if specs[Arches[0].Name] < 600 {
		t.Errorf("the default selection is %d specs on %s: upstream's node suite (about 193 specs) is not linked", specs[Arches[0].Name], Arches[0].Name)
	}
	for _, arch := range Arches[1:] {
		if specs[arch.Name] != specs[Arches[0].Name] {
			t.Errorf("the default selection is %d specs on %s but %d on %s", specs[arch.Name], arch.Name, specs[Arches[0].Name], Arches[0].Name)
		}
	}
}

// countDefaultSpecs runs the image's conformance.test for arch (under
// qemu-user for a foreign arch) as a dry run of the image's default
// selection, and returns how many specs it would run: the spec binary
// starts on its arch and links the specs.
func countDefaultSpecs(t *testing.T, arch Arch, conformance []byte) int {
	t.Helper()
	cmd := archCommand(t, arch, "conformance.test", conformance,
		"--host=http://127.0.0.1:1", "--ginkgo.dry-run", "--ginkgo.no-color",
		`--ginkgo.focus=\[Conformance\]|\[NodeConformance\]`, `--ginkgo.skip=\[Flaky\]|\[Serial\]|\[Disruptive\]`)
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`Will run (\d+) of (\d+) specs`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Errorf("conformance.test dry run: %v\n%s", err, out)
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	if n == 0 {
		t.Errorf("conformance.test would run no spec of the default selection: %s", m[0])
	}
	t.Logf("conformance.test: %s", m[0])
	return n
}

// checkControlPlaneServes starts the image's node-test controlplane for arch
// (under qemu-user for a foreign arch) on free loopback ports, with no node,
// and checks its embedded etcd, API server and namespace controller serve:
// it becomes ready, a namespace is created, then deleted and finalized. It
// then stops it with SIGINT, as a run's teardown does, and wants exit code 0.
func checkControlPlaneServes(t *testing.T, arch Arch, nodeTest []byte) {
	t.Helper()
	dir := t.TempDir()
	insecure, secure := freeLoopbackPort(t), freeLoopbackPort(t)
	cmd := archCommand(t, arch, "node-test", nodeTest, "controlplane", "--wait-for-node=false",
		"--api-address", fmt.Sprintf("127.0.0.1:%d", insecure), "--secure-port", strconv.Itoa(secure),
		"--data-dir", filepath.Join(dir, "etcd"), "--log-dir", dir)
	logFile := filepath.Join(dir, "controlplane.out")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	output := func() string { b, _ := os.ReadFile(logFile); return string(b) }
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited reports the process's end once; the deferred kill waits for it
	// unless a receive already did.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	defer func() {
		if !waited {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	api := fmt.Sprintf("http://127.0.0.1:%d", insecure)
	// Emulated, the 32-bit arm control plane takes about 20 s to be ready.
	until := func(what string, limit time.Duration, done func() bool) bool {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !done() {
			select {
			case err := <-exited:
				waited = true
				t.Errorf("node-test controlplane exited (%v) before %s:\n%s", err, what, output())
				return false
			case <-time.After(time.Second):
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: not within %s:\n%s", what, limit, output())
				return false
			}
		}
		return true
	}
	status := func(method, path, body string) int {
		req, _ := http.NewRequest(method, api+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if !until("ready (/readyz)", 4*time.Minute, func() bool { return status("GET", "/readyz", "") == http.StatusOK }) {
		return
	}
	ready := time.Since(start)
	const ns = "/api/v1/namespaces/node-test-image"
	if code := status("POST", "/api/v1/namespaces", `{"metadata":{"name":"node-test-image"}}`); code != http.StatusCreated {
		t.Errorf("create a namespace: HTTP %d, want %d", code, http.StatusCreated)
		return
	}
	if code := status("DELETE", ns, ""); code != http.StatusOK {
		t.Errorf("delete the namespace: HTTP %d, want %d", code, http.StatusOK)
		return
	}
	deleted := time.Now()
	if !until("the namespace finalized by the namespace controller", 2*time.Minute, func() bool { return status("GET", ns, "") == http.StatusNotFound }) {
		return
	}
	finalized := time.Since(deleted)
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		waited = true
		if err != nil {
			t.Errorf("node-test controlplane on SIGINT: %v, want exit code 0:\n%s", err, output())
		}
	case <-time.After(time.Minute):
		t.Errorf("node-test controlplane still runs a minute after SIGINT:\n%s", output())
		return
	}
	t.Logf("node-test controlplane: ready in %s, a deleted namespace finalized in %s, stopped on SIGINT",
		ready.Round(100*time.Millisecond), finalized.Round(100*time.Millisecond))
}

// freeLoopbackPort is a TCP port free on 127.0.0.1 when it returns.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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
