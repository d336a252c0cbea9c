package images

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestOCILayoutFromTheRepositoryDockerfiles builds the real Dockerfiles over
// a stand-in build context and checks the index, each platform, the
// documented environment, the entrypoint and the files.
func TestOCILayoutFromTheRepositoryDockerfiles(t *testing.T) {
	ctxDir := t.TempDir()
	var dockerfiles []string
	for _, a := range Arches {
		for _, f := range []string{"node-test", "conformance.test", "ginkgo"} {
			writeFile(t, filepath.Join(ctxDir, "_output/bin/linux", a.Name, f), a.Name+" "+f)
		}
		writeFile(t, filepath.Join(ctxDir, "_output/images", a.Name, ArchiveName), "archive")
		dockerfiles = append(dockerfiles, filepath.Join("..", "Dockerfile."+a.Name))
	}
	out := filepath.Join(t.TempDir(), "oci")
	if _, err := WriteOCILayout(out, ctxDir, dockerfiles); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	inner := idx
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 3 {
		t.Fatalf("index has %d manifests, want 3", len(m.Manifests))
	}
	for i, a := range Arches {
		d := m.Manifests[i]
		if d.Platform == nil || d.Platform.Architecture != a.GOARCH || d.Platform.Variant != a.Variant || d.Platform.OS != "linux" {
			t.Errorf("manifest %d platform %v, want linux/%s/%s", i, d.Platform, a.GOARCH, a.Variant)
		}
		img, err := inner.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if !slices.Equal(cf.Config.Entrypoint, []string{"/usr/local/bin/node-test", "run"}) {
			t.Errorf("%s entrypoint %v", a.Name, cf.Config.Entrypoint)
		}
		for _, env := range []string{`FOCUS=\[Conformance\]|\[NodeConformance\]`, `SKIP=\[Flaky\]|\[Serial\]|\[Disruptive\]`,
			"FLAKE_ATTEMPTS=1", "REPORT_PATH=/var/result", "TEST_ARGS=", "EXTRA_ENVS="} {
			if !slices.Contains(cf.Config.Env, env) {
				t.Errorf("%s lacks ENV %s: %v", a.Name, env, cf.Config.Env)
			}
		}
		// PARALLELISM is left to node-test, which fits it to the node.
		if slices.ContainsFunc(cf.Config.Env, func(e string) bool { return strings.HasPrefix(e, "PARALLELISM=") }) {
			t.Errorf("%s sets PARALLELISM: %v", a.Name, cf.Config.Env)
		}
		files := map[string]string{}
		for name, f := range imageFiles(t, img) {
			files[name] = string(f.data)
		}
		if files["usr/local/bin/node-test"] != a.Name+" node-test" || files["usr/local/images/"+a.Name+"/"+ArchiveName] != "archive" {
			t.Errorf("%s: files %v", a.Name, keys(files))
		}
		if _, ok := files["tmp"]; !ok {
			t.Errorf("%s: no /tmp", a.Name)
		}
	}
}

func TestDockerfileBuildRefusesWhatItCannotReproduce(t *testing.T) {
	df := filepath.Join(t.TempDir(), "Dockerfile")
	writeFile(t, df, "FROM debian:12\n")
	if _, _, err := ImageFromDockerfile(df, t.TempDir()); err == nil {
		t.Error("FROM debian:12 accepted: it would need a pull")
	}
	writeFile(t, df, "FROM scratch\nARG ARCH=amd64\nRUN echo hi\n")
	if _, _, err := ImageFromDockerfile(df, t.TempDir()); err == nil {
		t.Error("RUN accepted")
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
