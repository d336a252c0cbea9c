package cluster

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A report directory goes through Archive and Untar whole: files, nested
// directories (the pods' logs of failed specs); a symbolic link stays out.
func TestArchiveUntar(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"junit_01.xml":                    "<testsuites/>",
		"summary.json":                    `{"verdict":"PASS"}`,
		"controlplane/kube-apiserver.log": "started",
		"pods-1234/pod/container.log":     "hello",
	}
	for name, content := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "passwd")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Archive(&buf, src); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "node-a")
	n, err := Untar(&buf, dst)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Errorf("Untar wrote %d files, want %d", n, len(files))
	}
	for name, content := range files {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(b) != content {
			t.Errorf("%s: %q, %v; want %q", name, b, err, content)
		}
	}
	if _, err := os.Lstat(filepath.Join(dst, "passwd")); !os.IsNotExist(err) {
		t.Errorf("the symbolic link was unpacked: %v", err)
	}
}

// An archive naming a path outside its directory is refused, and nothing
// is written there.
func TestUntarRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../escaped", "a/../../escaped", "/tmp/escaped-abs"} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte("x"))
		tw.Close()
		parent := t.TempDir()
		dst := filepath.Join(parent, "node")
		_, err := Untar(&buf, dst)
		if err == nil || !strings.Contains(err.Error(), "outside its directory") {
			t.Errorf("Untar of %q: %v, want a refusal", name, err)
		}
		if _, err := os.Stat(filepath.Join(parent, "escaped")); err == nil {
			t.Errorf("Untar of %q wrote outside its directory", name)
		}
	}
}
