package images

import (
	"context"
	"errors"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Remover is a Loader that can take back the images it loaded.
type Remover interface {
	// Remove removes the names refs from the runtime's images: an image
	// also known by another name keeps that name; one left with no name
	// goes. A name the runtime no longer has is no error.
	Remove(ctx context.Context, refs []string) error
}

// Remove implements Remover: it deletes each name from containerd's image
// store (the CRI plugin follows containerd's image events), leaving any
// other name of the same image.
func (l *ContainerdLoader) Remove(ctx context.Context, refs []string) error {
	return l.eachImage(refs, func(c *containerd.Client, ref string) error {
		if err := c.ImageService().Delete(ctx, ref); err != nil {
			return fmt.Errorf("remove containerd image %s: %w", ref, err)
		}
		return nil
	})
}

// Remove implements Remover: docker rmi of each name, which only untags an
// image that has another.
func (l *DockerLoader) Remove(ctx context.Context, refs []string) error {
	c, err := client.New(client.WithHost("unix://" + l.Socket))
	if err != nil {
		return fmt.Errorf("connect to docker at %s: %w", l.Socket, err)
	}
	defer c.Close()
	var errs []error
	for _, ref := range refs {
		if _, err := c.ImageRemove(ctx, ref, client.ImageRemoveOptions{}); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("docker rmi %s: %w", ref, err))
		}
	}
	return errors.Join(errs...)
}
