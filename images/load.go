package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ErrNoImportAPI means the node's runtime has no API to import an image
// archive (CRI-O): the archive must be loaded on the host by hand.
var ErrNoImportAPI = errors.New("the runtime has no image import API")

// Loaded says what loading one archive did.
type Loaded struct {
	Ref      string
	Bytes    int64
	Skipped  bool // the runtime already held this exact image
	Duration time.Duration
}

// Loader puts image archives into a node's runtime.
type Loader interface {
	// Load imports the archive at path, holding the image ref, unless the
	// runtime already has that exact image; it returns once the runtime's
	// CRI reports the image.
	Load(ctx context.Context, path, ref string) (Loaded, error)
}

// configDigest is the image ID (config digest) of the archive at path, the
// ID the CRI reports for it once loaded.
func configDigest(path, ref string) (string, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return "", fmt.Errorf("read image archive %s: %w", path, err)
	}
	h, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("read image archive %s: %w", path, err)
	}
	return h.String(), nil
}

// criImageID is the ID of the image ref in the CRI, "" when it has none.
func criImageID(ctx context.Context, cri runtimeapi.ImageServiceClient, ref string) (string, error) {
	resp, err := cri.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	if err != nil {
		return "", fmt.Errorf("CRI image status of %s: %w", ref, err)
	}
	return resp.GetImage().GetId(), nil
}

// waitForCRI polls the CRI until it reports ref with ID id: the CRI plugin
// picks up imports asynchronously.
func waitForCRI(ctx context.Context, cri runtimeapi.ImageServiceClient, ref, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		got, err := criImageID(ctx, cri, ref)
		if err == nil && got == id {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the CRI does not report %s as %s after import (last: %q, %v)", ref, id, got, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
