package runner

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-test/node-test/images"
	"github.com/node-test/node-test/runner/host"
)

// TestNewLoaderTellsHowToLoadIntoCRIO checks that a node whose runtime has
// no image import API (CRI-O) gets an error saying how to load the archive
// on the host, not a loader.
func TestNewLoaderTellsHowToLoadIntoCRIO(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "usr", "proc", "run/crio"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("unix", filepath.Join(root, "run/crio/crio.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h, err := host.New(root)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = NewLoader(h, "")
	if !errors.Is(err, images.ErrNoImportAPI) {
		t.Fatalf("NewLoader on a CRI-O node: %v, want %v", err, images.ErrNoImportAPI)
	}
	want := "podman load -i " + images.ArchiveName
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "/usr/local/images/"+images.HostArch().Name+"/") {
		t.Errorf("the error does not say how to load the images on the host (%q, the archive's path): %v", want, err)
	}
}
