package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ErrNoImportAPI means the node's runtime has no API to import an image
// archive (CRI-O): the archive must be loaded on the host by hand.
var ErrNoImportAPI = errors.New("the runtime has no image import API")

// Loaded says what loading one archive did.
type Loaded struct {
	Ref     string
	Bytes   int64
	Skipped bool // the runtime already held this exact image
	// Removed is the ID of the image the runtime held as Ref before, which
	// the load left without any tag and removed; "" when there was none.
	Removed string
	// Pinned says the load pinned the image: the runtime keeps it from the
	// kubelet's garbage collection until Unpin.
	Pinned   bool
	Duration time.Duration
}

// Pinner is a Loader whose runtime can keep the images it loads from the
// kubelet's image garbage collection while a run needs them.
type Pinner interface {
	// Unpin leaves the images refs to the kubelet's garbage collection.
	Unpin(ctx context.Context, refs []string) error
}

// Loader puts image archives into a node's runtime.
type Loader interface {
	// Load imports img as ref, unless the runtime already has that exact
	// image; it returns once the runtime's CRI reports the image.
	Load(ctx context.Context, img v1.Image, ref string) (Loaded, error)
}

// FromArchive reads the image img of arch from the archive Build wrote
// under dir.
func FromArchive(dir string, arch Arch, img Image) (v1.Image, error) {
	p := Archive(dir, arch)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("no archive of the %s test images at %s: build it with node-test images build --arch %s", arch.Name, p, arch.Name)
	}
	tag, err := name.NewTag(img.Ref)
	if err != nil {
		return nil, err
	}
	v, err := tarball.ImageFromPath(p, &tag)
	if err != nil {
		return nil, fmt.Errorf("image %s is not in %s (%w): build it with node-test images build --arch %s", img.Ref, p, err, arch.Name)
	}
	return v, nil
}

// identity is the image ID the CRI reports for img once loaded (its config
// digest) and its size as stored.
func identity(img v1.Image) (id string, bytes int64, err error) {
	h, err := img.ConfigName()
	if err != nil {
		return "", 0, fmt.Errorf("read the image config: %w", err)
	}
	bytes, err = imageBytes(img)
	return h.String(), bytes, err
}

// archiveStream is an image archive of img alone, tagged ref, produced as it
// is read: what `docker load` and containerd's import take. The layers are
// copied as they are stored, compressed.
func archiveStream(img v1.Image, ref string) (io.ReadCloser, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
	return pr, nil
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
