package images

import (
	"context"
	"errors"
	"fmt"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerdNamespace is the containerd namespace the CRI plugin serves.
const ContainerdNamespace = "k8s.io"

// PinnedLabel keeps the kubelet's image garbage collection off an image
// (containerd 1.7 and later report it to the kubelet as pinned).
const PinnedLabel = "io.cri-containerd.pinned"

// ContainerdLoader imports archives through containerd's client API into the
// k8s.io namespace, pinned, unpacked with the node's snapshotter.
type ContainerdLoader struct {
	// Socket is containerd's socket as reachable from this process.
	Socket string
	// Snapshotter is the one the node's CRI plugin uses (overlayfs unless
	// its config says otherwise).
	Snapshotter string
	// Arch is the node's architecture.
	Arch Arch
	// CRI is the node's image service, to confirm what was loaded.
	CRI runtimeapi.ImageServiceClient
}

// Load implements Loader.
func (l *ContainerdLoader) Load(ctx context.Context, img v1.Image, ref string) (Loaded, error) {
	start := time.Now()
	res := Loaded{Ref: ref}
	id, bytes, err := identity(img)
	if err != nil {
		return res, fmt.Errorf("image %s: %w", ref, err)
	}
	res.Bytes = bytes
	c, err := l.connect()
	if err != nil {
		return res, err
	}
	defer c.Close()
	have, err := criImageID(ctx, l.CRI, ref)
	if err == nil && have == id {
		// Present: pinned for the run, unless it already is.
		res.Pinned, err = setPinned(ctx, c, ref, true)
		res.Skipped, res.Duration = true, time.Since(start)
		return res, err
	}
	archive, err := archiveStream(img, ref)
	if err != nil {
		return res, err
	}
	defer archive.Close()
	platform := platforms.Only(l.Arch.ociPlatform())
	imgs, err := c.Import(ctx, archive,
		containerd.WithImageLabels(map[string]string{PinnedLabel: "pinned"}),
		containerd.WithImportPlatform(platform),
	)
	if err != nil {
		return res, fmt.Errorf("import %s into containerd: %w", ref, err)
	}
	snapshotter := l.Snapshotter
	if snapshotter == "" {
		snapshotter = "overlayfs"
	}
	for _, i := range imgs {
		if err := containerd.NewImageWithPlatform(c, i, platform).Unpack(ctx, snapshotter); err != nil {
			return res, fmt.Errorf("unpack %s with snapshotter %s: %w", i.Name, snapshotter, err)
		}
	}
	if err := waitForCRI(ctx, l.CRI, ref, id); err != nil {
		return res, err
	}
	res.Removed = l.removeUntagged(ctx, have)
	res.Pinned, res.Duration = true, time.Since(start)
	return res, nil
}

// connect returns a client of the node's containerd, in the CRI plugin's
// namespace.
func (l *ContainerdLoader) connect() (*containerd.Client, error) {
	c, err := containerd.New(l.Socket, containerd.WithDefaultNamespace(ContainerdNamespace), containerd.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to containerd at %s: %w", l.Socket, err)
	}
	return c, nil
}

// Unpin implements Pinner.
func (l *ContainerdLoader) Unpin(ctx context.Context, refs []string) error {
	// An image no longer there is not pinned either.
	return l.eachImage(refs, func(c *containerd.Client, ref string) error {
		_, err := setPinned(ctx, c, ref, false)
		return err
	})
}

// eachImage calls do for each of refs with a client of the node's
// containerd, and joins their errors; an image containerd no longer has is
// no error.
func (l *ContainerdLoader) eachImage(refs []string, do func(c *containerd.Client, ref string) error) error {
	c, err := l.connect()
	if err != nil {
		return err
	}
	defer c.Close()
	var errs []error
	for _, ref := range refs {
		if err := do(c, ref); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// setPinned sets or removes the pinned label of the image ref, and reports
// whether that changed it.
func setPinned(ctx context.Context, c *containerd.Client, ref string, pinned bool) (bool, error) {
	is := c.ImageService()
	img, err := is.Get(ctx, ref)
	if err != nil {
		return false, fmt.Errorf("containerd image %s: %w", ref, err)
	}
	if (img.Labels[PinnedLabel] == "pinned") == pinned {
		return false, nil
	}
	if img.Labels == nil {
		img.Labels = map[string]string{}
	}
	// An empty label is removed.
	img.Labels[PinnedLabel] = ""
	if pinned {
		img.Labels[PinnedLabel] = "pinned"
	}
	if _, err := is.Update(ctx, img, "labels."+PinnedLabel); err != nil {
		return false, fmt.Errorf("label containerd image %s %s=%q: %w", ref, PinnedLabel, img.Labels[PinnedLabel], err)
	}
	return true, nil
}

// removeUntagged removes the image id (a previous build of a test image)
// once no tag names it: the pinned label keeps the kubelet's garbage
// collection off it, so nothing else would. It returns id when it removed
// it. A failure leaves the image, harmless but for its space.
func (l *ContainerdLoader) removeUntagged(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	st, err := l.CRI.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: id}})
	if err != nil || st.GetImage() == nil || len(st.GetImage().GetRepoTags()) > 0 {
		return ""
	}
	if _, err := l.CRI.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: id}}); err != nil {
		return ""
	}
	return id
}
