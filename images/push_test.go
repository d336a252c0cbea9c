package images

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestPushLayout pushes an OCI layout of a three-arch index to a registry
// served in the test (go-containerregistry's, blobs on disk) and reads it
// back from there: the same index digest, each arch's manifest by its
// platform, its layers' blobs. With NODE_TEST_OCI_DIR (make image-oci sets
// it), the layout make image-oci built is pushed and read back too.
func TestPushLayout(t *testing.T) {
	srv := httptest.NewServer(registry.New(
		registry.Logger(log.New(io.Discard, "", 0)),
		registry.WithBlobHandler(registry.NewDiskBlobHandler(t.TempDir()))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	t.Run("three arches", func(t *testing.T) {
		dir := t.TempDir()
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, a := range Arches {
			img, err := random.Image(1024, 2)
			if err != nil {
				t.Fatal(err)
			}
			p := a.Platform()
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
		}
		if _, err := layout.Write(dir, idx); err != nil {
			t.Fatal(err)
		}
		checkPushed(t, dir, host, "three-arches")
	})

	t.Run("the layout make image-oci built", func(t *testing.T) {
		dir := os.Getenv("NODE_TEST_OCI_DIR")
		if dir == "" {
			t.Skip("pushes the layout make image-oci builds: NODE_TEST_OCI_DIR=_output/oci")
		}
		checkPushed(t, dir, host, "built")
	})

	t.Run("not a layout", func(t *testing.T) {
		_, err := PushLayout(context.Background(), t.TempDir(), host+"/node-test:none", false)
		if err == nil || !strings.Contains(err.Error(), "is not an OCI image layout (make image-oci writes one") {
			t.Fatalf("pushing an empty directory: got %v, want an error naming make image-oci", err)
		}
	})

	t.Run("not a reference", func(t *testing.T) {
		_, err := PushLayout(context.Background(), t.TempDir(), "Registry.Example/Node-Test:?", false)
		if err == nil || !strings.Contains(err.Error(), "is not an image reference") {
			t.Fatalf("pushing to a bad reference: got %v, want an error saying it is not an image reference", err)
		}
	})
}

// checkPushed pushes the layout at dir to host/node-test:tag and reads it
// back from the registry: the index digest, each manifest of the layout, and
// every layer's blob.
func checkPushed(t *testing.T, dir, host, tag string) {
	t.Helper()
	ref := host + "/node-test:" + tag
	want, err := layoutIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantDigest, err := want.Digest()
	if err != nil {
		t.Fatal(err)
	}
	digest, err := PushLayout(context.Background(), dir, ref, false)
	if err != nil {
		t.Fatal(err)
	}
	if digest != wantDigest {
		t.Fatalf("PushLayout returned %s, the layout's index is %s", digest, wantDigest)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(r)
	if err != nil {
		t.Fatalf("the registry does not serve %s: %v", ref, err)
	}
	if d, _ := got.Digest(); d != wantDigest {
		t.Fatalf("the registry serves %s as %s, the layout's index is %s", ref, d, wantDigest)
	}
	wm, err := want.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range wm.Manifests {
		img, err := remote.Image(r.Context().Digest(desc.Digest.String()))
		if err != nil {
			t.Fatalf("the registry does not serve the %s manifest %s: %v", desc.Platform, desc.Digest, err)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			d, err := l.Digest()
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Head("http://" + host + "/v2/node-test/blobs/" + d.String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("the registry answers %s for the %s layer %s", resp.Status, desc.Platform, d)
			}
		}
		t.Logf("%s: %s, %d layers, served by the registry", desc.Platform, desc.Digest, len(layers))
	}
}
