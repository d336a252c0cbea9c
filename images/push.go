package images

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushLayout pushes the multi-arch image index of the OCI image layout at dir
// (what make image-oci writes: node-test's image of every arch) to the
// registry reference ref, e.g. registry.example.com/node-test:v0.1.0, so that
// a cluster without access to the internet can pull node-test from its own
// registry. It authenticates as docker and crane do, with the credentials of
// the docker config (~/.docker/config.json, $DOCKER_CONFIG); insecure allows
// a registry served over plain HTTP. It returns the digest the index has in
// the registry, the same as in the layout.
func PushLayout(ctx context.Context, dir, ref string, insecure bool) (v1.Hash, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("push: %q is not an image reference (registry/repository:tag): %w", ref, err)
	}
	idx, err := layoutIndex(dir)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.WriteIndex(r, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return v1.Hash{}, fmt.Errorf("push %s to %s: %w", dir, r, err)
	}
	return idx.Digest()
}

// layoutIndex is the image index of the OCI layout at dir: its index.json
// itself, or the one index it points to.
func layoutIndex(dir string) (v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("push: %s is not an OCI image layout (make image-oci writes one into _output/oci): %w", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("push: %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("push: %s: %w", dir, err)
	}
	if len(m.Manifests) == 1 && m.Manifests[0].MediaType.IsIndex() {
		return idx.ImageIndex(m.Manifests[0].Digest)
	}
	if len(m.Manifests) == 0 {
		return nil, fmt.Errorf("push: the OCI layout %s holds no image", dir)
	}
	return idx, nil
}
