package images

import (
	"context"
	"fmt"
	"os"
)

// LoadAll loads the archive of each image of arch found under dir (as
// written by Build) with l. An image without an archive is an error naming
// the command that builds it.
func LoadAll(ctx context.Context, l Loader, dir string, arch Arch, imgs []Image) ([]Loaded, error) {
	var out []Loaded
	for _, img := range imgs {
		p := Archive(dir, arch, img)
		if _, err := os.Stat(p); err != nil {
			return out, fmt.Errorf("no archive of image %s for %s at %s: build it with node-test images build --arch %s", img.Name, arch.Name, p, arch.Name)
		}
		res, err := l.Load(ctx, p, img.Ref)
		if err != nil {
			return out, fmt.Errorf("load image %s: %w", img.Ref, err)
		}
		out = append(out, res)
	}
	return out, nil
}
