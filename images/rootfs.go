package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is the timestamp of every file and image: builds are reproducible.
var epoch = time.Unix(0, 0).UTC()

// rootfs is an image's file tree, assembled in memory.
type rootfs struct {
	entries map[string]*tar.Header
	data    map[string][]byte
}

func newRootfs() *rootfs {
	return &rootfs{entries: map[string]*tar.Header{}, data: map[string][]byte{}}
}

// dir adds a directory (and its parents).
func (r *rootfs) dir(p string, mode int64) {
	p = path.Clean(p)
	if p == "." || p == "/" {
		return
	}
	r.dir(path.Dir(p), 0o755)
	if _, ok := r.entries[p]; ok && mode == 0o755 {
		return
	}
	r.entries[p] = &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode}
}

// file adds a regular file with the given content.
func (r *rootfs) file(p string, mode int64, content []byte) {
	p = path.Clean(p)
	r.dir(path.Dir(p), 0o755)
	r.entries[p] = &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(content))}
	r.data[p] = content
}

// copyFile adds the file at src of the build machine as p.
func (r *rootfs) copyFile(p string, mode int64, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	r.file(p, mode, b)
	return nil
}

// symlink adds p pointing at target.
func (r *rootfs) symlink(p, target string) {
	p = path.Clean(p)
	r.dir(path.Dir(p), 0o755)
	r.entries[p] = &tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: target, Mode: 0o777}
}

// tar writes the tree as an uncompressed tar stream, sorted, with fixed
// owners and times.
func (r *rootfs) tar(w io.Writer) error {
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		h := *r.entries[n]
		h.ModTime, h.Uid, h.Gid, h.Format = epoch, 0, 0, tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			return fmt.Errorf("write %s: %w", n, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(r.data[n]); err != nil {
				return fmt.Errorf("write %s: %w", n, err)
			}
		}
	}
	return tw.Close()
}

// layer turns the tree into one image layer, compressed with gzip's best
// compression (go-containerregistry's default is its fastest): images are
// built once and shipped many times. The tree is compressed here, once:
// given an uncompressed tar, go-containerregistry would compress it again
// each time the layer is read (for its digest, then for each write).
func (r *rootfs) layer(opts ...tarball.LayerOption) (v1.Layer, error) {
	var compressed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&compressed, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if err := r.tar(zw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	b := compressed.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, opts...)
}
