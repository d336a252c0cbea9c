package images

import (
	"context"
	"fmt"
)

// LoadAll loads each image of arch from the archive under dir (as written
// by Build) with l. An image missing from the archive is an error naming the
// command that builds it.
func LoadAll(ctx context.Context, l Loader, dir string, arch Arch, imgs []Image) ([]Loaded, error) {
	var out []Loaded
	for _, img := range imgs {
		v, err := FromArchive(dir, arch, img)
		if err != nil {
			return out, err
		}
		res, err := l.Load(ctx, v, img.Ref)
		if err != nil {
			return out, fmt.Errorf("load image %s: %w", img.Ref, err)
		}
		out = append(out, res)
	}
	return out, nil
}
