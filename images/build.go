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
	// OutDir receives <arch>/images.tar.
	OutDir string
	// CacheDir keeps downloaded Debian packages, unpacked Debian source
	// packages (and the private apt configuration that fetches them), and
	// compiled binaries.
	CacheDir string
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Built describes one image written by Build.
type Built struct {
	Image Image
	Arch  Arch
	// Path is the archive holding it with the other images built.
	Path string
	// Bytes is the image's size as stored: its manifest, config and
	// compressed layers, layers shared with other images counted in full.
	Bytes    int64
	Duration time.Duration
}

type buildFunc func(ctx context.Context, b *Builder, arch Arch) (v1.Image, error)

// ArchiveName is the file, under <dir>/<arch>/, holding the test images of
// an arch.
const ArchiveName = "images.tar"

// Archive is where Build writes the archive of arch's images under dir.
func Archive(dir string, arch Arch) string {
	return filepath.Join(dir, arch.Name, ArchiveName)
}

// Build builds each image for arch and writes them all to one archive,
// b.OutDir/<arch>/images.tar, holding each layer once: the images share
// busybox's layer, and agnhost-prev all of agnhost's. Both `ctr images
// import` and `docker load` accept the archive; the loaders import one image
// of it at a time.
func (b *Builder) Build(ctx context.Context, arch Arch, imgs []Image) ([]Built, error) {
	var out []Built
	refs := map[name.Reference]v1.Image{}
	p := Archive(b.OutDir, arch)
	for _, img := range imgs {
		if !slices.Contains(img.Arches, arch.Name) {
			b.log().Warn("image not available for arch", "image", img.Name, "arch", arch.Name)
			continue
		}
		start := time.Now()
		v1img, err := img.build(ctx, b, arch)
		if err != nil {
			return nil, fmt.Errorf("build image %s for %s: %w", img.Name, arch.Name, err)
		}
		ref, err := name.NewTag(img.Ref)
		if err != nil {
			return nil, fmt.Errorf("parse reference %s: %w", img.Ref, err)
		}
		size, err := imageBytes(v1img)
		if err != nil {
			return nil, fmt.Errorf("image %s for %s: %w", img.Name, arch.Name, err)
		}
		refs[ref] = v1img
		bt := Built{Image: img, Arch: arch, Path: p, Bytes: size, Duration: time.Since(start)}
		b.log().Info("built image", "image", img.Ref, "arch", arch.Name, "bytes", bt.Bytes, "seconds", bt.Duration.Seconds())
		out = append(out, bt)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	// Written aside and renamed: a failed write leaves no partial archive.
	tmp := p + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return nil, err
	}
	return out, nil
}

// imageBytes is the size of img as stored: manifest, config and compressed
// layers.
func imageBytes(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	n := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}

func (b *Builder) log() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

// image assembles an image of layers for arch.
func image(arch Arch, cfg v1.Config, layers ...v1.Layer) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layers...)
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

// moduleFile is the path of file in the source of module, at the version
// the node-test module pins.
func (b *Builder) moduleFile(ctx context.Context, module, file string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = b.ModuleDir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("find the source of %s: %w", module, err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), file)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s of %s: %w (go mod download %s)", file, module, err, module)
	}
	return p, nil
}

// debian extracts the Debian package pkg of arch's Debian architecture (or
// of none: Architecture: all) and returns the directory holding its files.
// Packages come from the build machine's apt sources; a foreign
// architecture is added to dpkg on demand.
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
		err := run(cmd)
		if err != nil {
			// An Architecture: all package has no candidate of any arch.
			all := exec.CommandContext(ctx, "apt-get", "download", pkg)
			all.Dir = dl
			if run(all) == nil && len(debFiles(dl, pkg, "all")) > 0 {
				return nil
			}
		}
		return err
	}
	if err := download(); err != nil {
		b.log().Info("adding Debian architecture", "arch", debArch, "reason", err.Error())
		if err := run(exec.CommandContext(ctx, "dpkg", "--add-architecture", debArch)); err != nil {
			return "", fmt.Errorf("enable Debian architecture %s: %w", debArch, err)
		}
		if err := b.aptUpdate(ctx); err != nil {
			return "", fmt.Errorf("update the package lists for %s: %w", debArch, err)
		}
		if err := download(); err != nil {
			return "", fmt.Errorf("download Debian package %s:%s: %w", pkg, debArch, err)
		}
	}
	debs := append(debFiles(dl, pkg, debArch), debFiles(dl, pkg, "all")...)
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

// debFiles lists the downloaded .deb files of pkg for debArch in dir.
func debFiles(dir, pkg, debArch string) []string {
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*_"+debArch+".deb"))
	return debs
}

// debSource is an unpacked Debian source package.
type debSource struct {
	// Dir holds the source tree, Debian's patches applied.
	Dir string
	// Version is the package version, e.g. 1:1.35.0-4+deb12u1.
	Version string
	// Timestamp is the date of its latest changelog entry, in seconds since
	// the epoch: the SOURCE_DATE_EPOCH Debian builds it with.
	Timestamp string
}

// debianSource unpacks the Debian source package pkg of the build machine's
// Debian release, cached under CacheDir. It is fetched through a private apt
// configuration, also under CacheDir, holding one deb-src line for each
// Debian archive the machine's apt sources name: the machine's own apt
// configuration is left alone.
func (b *Builder) debianSource(ctx context.Context, pkg string) (debSource, error) {
	top, err := filepath.Abs(filepath.Join(b.CacheDir, "src", pkg))
	if err != nil {
		return debSource{}, err
	}
	tree := filepath.Join(top, "tree")
	if _, err := os.Stat(filepath.Join(top, ".done")); err != nil {
		opts, err := b.aptSources(ctx)
		if err != nil {
			return debSource{}, err
		}
		dl := filepath.Join(top, "download")
		for _, d := range []string{dl, tree} {
			if err := os.RemoveAll(d); err != nil {
				return debSource{}, err
			}
		}
		if err := os.MkdirAll(dl, 0o755); err != nil {
			return debSource{}, err
		}
		cmd := exec.CommandContext(ctx, "apt-get", append(opts, "source", "--download-only", pkg)...)
		cmd.Dir = dl
		if err := run(cmd); err != nil {
			return debSource{}, fmt.Errorf("download Debian source package %s: %w", pkg, err)
		}
		dscs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.dsc"))
		if len(dscs) != 1 {
			return debSource{}, fmt.Errorf("download Debian source package %s: want one .dsc in %s, found %d", pkg, dl, len(dscs))
		}
		if err := run(exec.CommandContext(ctx, "dpkg-source", "-x", dscs[0], tree)); err != nil {
			return debSource{}, fmt.Errorf("unpack %s: %w", dscs[0], err)
		}
		if err := os.WriteFile(filepath.Join(top, ".done"), nil, 0o644); err != nil {
			return debSource{}, err
		}
	}
	out, err := exec.CommandContext(ctx, "dpkg-parsechangelog", "-l", filepath.Join(tree, "debian/changelog")).Output()
	if err != nil {
		return debSource{}, fmt.Errorf("read the changelog of %s: %w", pkg, err)
	}
	src := debSource{Dir: tree}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Version: "); ok {
			src.Version = v
		}
		if v, ok := strings.CutPrefix(l, "Timestamp: "); ok {
			src.Timestamp = v
		}
	}
	if src.Version == "" || src.Timestamp == "" {
		return debSource{}, fmt.Errorf("read the changelog of %s: no Version or Timestamp in %q", pkg, out)
	}
	return src, nil
}

// aptSources writes the private apt configuration debianSource uses, updates
// its package lists, and returns the apt-get options that select it.
func (b *Builder) aptSources(ctx context.Context) ([]string, error) {
	// apt takes relative paths as relative to its own directories.
	dir, err := filepath.Abs(filepath.Join(b.CacheDir, "src", "apt"))
	if err != nil {
		return nil, err
	}
	// The Debian archives the machine's apt uses, as "URI release component".
	out, err := exec.CommandContext(ctx, "apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE) $(COMPONENT)",
		"Origin: Debian", "Identifier: Packages").Output()
	if err != nil {
		return nil, fmt.Errorf("list the machine's Debian archives: %w", err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, "deb-src "+l)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("list the machine's Debian archives: apt's sources name none")
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	for _, d := range []string{"sources.list.d", "lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	list := filepath.Join(dir, "sources.list")
	if err := os.WriteFile(list, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + list,
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(dir, "sources.list.d"),
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		// The cache is root's: apt's unprivileged download user could not write it.
		"-o", "APT::Sandbox::User=root",
	}
	if err := b.aptUpdate(ctx, opts...); err != nil {
		return nil, fmt.Errorf("update the source package lists: %w", err)
	}
	return opts, nil
}

// aptUpdate runs apt-get update with the apt options opts.
//
// A mirror caught mid-sync fails an update with an index whose size or hash
// disagrees with its Release file: the update is tried again. When, after
// that, the only errors are such indexes (a mirror left so for hours has
// been seen), apt has updated every other index: the build goes on with
// them, and says which archive's index it left out (its packages then come
// from the other archives: Debian's main one for its security one).
func (b *Builder) aptUpdate(ctx context.Context, opts ...string) error {
	var err error
	for try := 0; try < 3; try++ {
		if err = run(exec.CommandContext(ctx, "apt-get", append(opts, "update", "-qq")...)); err == nil {
			return nil
		}
		time.Sleep(5 * time.Second)
	}
	if stale := staleIndexes(err.Error()); len(stale) > 0 {
		b.log().Warn("the mirror serves indexes that disagree with its Release files: building with the other archives' indexes",
			"left out", strings.Join(stale, " "))
		return nil
	}
	return err
}

// staleIndexes returns the URLs of the indexes apt-get update's output says
// it could not fetch for a size or hash that disagrees with the Release
// file, when those are its only errors; nil otherwise.
func staleIndexes(out string) []string {
	var stale []string
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		_, e, ok := strings.Cut(line, "E: ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(e, "Some index files failed to download"):
		case strings.HasPrefix(e, "Failed to fetch "):
			rest := strings.Fields(strings.TrimPrefix(e, "Failed to fetch "))
			if len(rest) < 2 {
				return nil
			}
			why := strings.Join(rest[1:], " ")
			if i+1 < len(lines) {
				why += " " + lines[i+1]
			}
			if !strings.Contains(why, "unexpected size") && !strings.Contains(why, "Hash Sum mismatch") {
				return nil
			}
			stale = append(stale, rest[0])
		default:
			return nil
		}
	}
	return stale
}

func run(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
