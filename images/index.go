package images

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// refNameAnnotation names an image of an OCI layout by its reference.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteIndexLayout writes, as an OCI image layout at out, one multi-arch
// index per image of imgs, from the archives under dir (<dir>/<arch>/images.tar)
// of each of its arches, annotated with the image's reference: what a
// registry would serve for it. An archive missing for an arch the image is
// built for is an error.
func WriteIndexLayout(out, dir string, imgs []Image) (layout.Path, error) {
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return "", fmt.Errorf("write OCI layout %s: %w", out, err)
	}
	for _, img := range imgs {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, name := range img.Arches {
			arch, err := LookupArch(name)
			if err != nil {
				return "", err
			}
			archive, err := FromArchive(dir, arch, img)
			if err != nil {
				return "", err
			}
			platform := arch.Platform()
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: archive, Descriptor: v1.Descriptor{Platform: &platform}})
		}
		if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: img.Ref})); err != nil {
			return "", fmt.Errorf("add the index of %s to %s: %w", img.Name, out, err)
		}
	}
	return p, nil
}
