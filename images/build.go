package images

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Builder builds image archives offline.
type Builder struct {
	// ModuleDir is the root of the node-test module: Go programs are built
	// from it, at the versions its go.mod pins.
	ModuleDir string
	// OutDir receives <arch>/<name>.tar.
	OutDir string
	// CacheDir keeps downloaded Debian packages and compiled binaries.
	CacheDir string
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Built describes one archive written by Build.
type Built struct {
	Image    Image
	Arch     Arch
	Path     string
	Bytes    int64
	Duration time.Duration
}

type buildFunc func(ctx context.Context, b *Builder, arch Arch) (v1.Image, error)

// Archive is where the archive of img for arch is written under dir.
func Archive(dir string, arch Arch, img Image) string {
	return filepath.Join(dir, arch.Name, img.Name+".tar")
}

// Build builds each image for arch into b.OutDir/<arch>/<name>.tar, an image
// archive that both `ctr images import` and `docker load` accept.
func (b *Builder) Build(ctx context.Context, arch Arch, imgs []Image) ([]Built, error) {
	var out []Built
	for _, img := range imgs {
		if !slices.Contains(img.Arches, arch.Name) {
			b.log().Warn("image not available for arch", "image", img.Name, "arch", arch.Name)
			continue
		}
		start := time.Now()
		v1img, err := img.build(ctx, b, arch)
		if err != nil {
			return out, fmt.Errorf("build image %s for %s: %w", img.Name, arch.Name, err)
		}
		ref, err := name.ParseReference(img.Ref)
		if err != nil {
			return out, fmt.Errorf("parse reference %s: %w", img.Ref, err)
		}
		p := Archive(b.OutDir, arch, img)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return out, fmt.Errorf("create output dir: %w", err)
		}
		if err := tarball.WriteToFile(p, ref, v1img); err != nil {
			return out, fmt.Errorf("write %s: %w", p, err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return out, err
		}
		bt := Built{Image: img, Arch: arch, Path: p, Bytes: fi.Size(), Duration: time.Since(start)}
		b.log().Info("built image", "image", img.Ref, "arch", arch.Name, "bytes", bt.Bytes, "seconds", bt.Duration.Seconds())
		out = append(out, bt)
	}
	return out, nil
}

func (b *Builder) log() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

// image assembles a one-layer image of fs for arch.
func image(arch Arch, fs *rootfs, cfg v1.Config, opts ...tarball.LayerOption) (v1.Image, error) {
	layer, err := fs.layer(opts...)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	p := arch.Platform()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: epoch}
	cf.Config = cfg
	return mutate.ConfigFile(img, cf)
}

// goBinary cross-compiles the Go package pkg for arch and returns the path of
// the static binary, cached under CacheDir.
func (b *Builder) goBinary(ctx context.Context, pkg string, arch Arch) (string, error) {
	out := filepath.Join(b.CacheDir, "bin", arch.Name, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = b.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch.GOARCH, "GOARM="+arch.GOARM)
	if err := run(cmd); err != nil {
		return "", fmt.Errorf("compile %s: %w", pkg, err)
	}
	return out, nil
}

// debian extracts the Debian package pkg of arch's Debian architecture and
// returns the directory holding its files. Packages come from the build
// machine's apt sources; a foreign architecture is added to dpkg on demand.
func (b *Builder) debian(ctx context.Context, pkg string, debArch string) (string, error) {
	dir := filepath.Join(b.CacheDir, "deb", debArch, pkg)
	if _, err := os.Stat(filepath.Join(dir, ".done")); err == nil {
		return dir, nil
	}
	dl := filepath.Join(b.CacheDir, "deb", debArch, "download")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return "", err
	}
	download := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", "download", pkg+":"+debArch)
		cmd.Dir = dl
		return run(cmd)
	}
	if err := download(); err != nil {
		b.log().Info("adding Debian architecture", "arch", debArch, "reason", err.Error())
		if err := run(exec.CommandContext(ctx, "dpkg", "--add-architecture", debArch)); err != nil {
			return "", fmt.Errorf("enable Debian architecture %s: %w", debArch, err)
		}
		// A mirror caught mid-sync fails an update with a hash mismatch: retry.
		var err error
		for try := 0; try < 3; try++ {
			if err = run(exec.CommandContext(ctx, "apt-get", "update", "-qq")); err == nil {
				break
			}
			time.Sleep(5 * time.Second)
		}
		if err != nil {
			return "", fmt.Errorf("update the package lists for %s: %w", debArch, err)
		}
		if err := download(); err != nil {
			return "", fmt.Errorf("download Debian package %s:%s: %w", pkg, debArch, err)
		}
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*_"+debArch+".deb"))
	if len(debs) == 0 {
		return "", fmt.Errorf("download Debian package %s:%s: no .deb in %s", pkg, debArch, dl)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := run(exec.CommandContext(ctx, "dpkg-deb", "-x", debs[len(debs)-1], dir)); err != nil {
		return "", fmt.Errorf("extract %s: %w", debs[len(debs)-1], err)
	}
	return dir, os.WriteFile(filepath.Join(dir, ".done"), nil, 0o644)
}

func run(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
