package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/node-test/node-test/images"
	"github.com/node-test/node-test/runner/host"
)

// imagesPhase loads the test images the selected specs need into the node's
// runtime before any spec starts: nothing is pulled during a run. Where the
// runtime can pin images (containerd), those it loads or finds are pinned
// for the run, so that the kubelet's image garbage collection cannot take
// them away mid-run; once the run ends, it unpins those it pinned. They stay
// on the node for the next run, and to the garbage collection like pulled
// images, as upstream's image leaves what it pulls.
type imagesPhase struct {
	pinned []string
	// added are the images the run loaded that the node did not hold;
	// replaced those it loaded in place of another image of the same name.
	added, replaced []string
	// started is when the phase started: the pods of the run are younger.
	started time.Time
}

func (*imagesPhase) Name() string { return "images" }

// PinStateFile is where, on the host, a run names the images it pinned
// until it unpins them: a run killed before its end leaves them to the
// next run to unpin.
const PinStateFile = "/var/lib/node-test/pinned-images"

func (p *imagesPhase) Run(ctx context.Context, rc *RunContext) error {
	need := neededImages(rc)
	l, closeFn, err := NewLoader(rc.Host, "")
	if err != nil {
		return err
	}
	defer closeFn()
	if pinner, ok := l.(images.Pinner); ok {
		unpinLeftovers(ctx, rc, pinner)
	}
	start := time.Now()
	p.started = start
	loaded, err := images.LoadAll(ctx, l, rc.Config.ImagesDir, images.HostArch(), need)
	for _, l := range loaded {
		if l.Pinned {
			p.pinned = append(p.pinned, l.Ref)
		}
		switch {
		case l.Skipped:
		case l.Removed != "":
			p.replaced = append(p.replaced, l.Ref)
		default:
			p.added = append(p.added, l.Ref)
		}
	}
	if len(p.pinned) > 0 {
		state := rc.Host.Path(PinStateFile)
		if werr := os.MkdirAll(filepath.Dir(state), 0o700); werr != nil {
			return errors.Join(err, werr)
		}
		if werr := os.WriteFile(state, []byte(strings.Join(p.pinned, "\n")+"\n"), 0o600); werr != nil {
			return errors.Join(err, fmt.Errorf("record the images pinned for the run: %w", werr))
		}
	}
	LogLoaded(rc.Logger, loaded, time.Since(start))
	return err
}

// unpinLeftovers unpins the images an earlier run pinned and, killed,
// never unpinned.
func unpinLeftovers(ctx context.Context, rc *RunContext, pinner images.Pinner) {
	state := rc.Host.Path(PinStateFile)
	b, err := os.ReadFile(state)
	if err != nil {
		return
	}
	refs := strings.Fields(string(b))
	if err := pinner.Unpin(ctx, refs); err != nil {
		rc.Logger.Warn("unpin the images an earlier run left pinned", "images", strings.Join(refs, ","), "error", err.Error())
		return
	}
	rc.Logger.Info("unpinned the images an earlier run, stopped before its end, left pinned", "images", strings.Join(refs, ","))
	_ = os.Remove(state)
}

// Stop leaves the node as the run found it, as far as the run's pods go:
// it deletes the specs' namespaces and removes the sandboxes and
// containers of the run's pods, which the kubelet would leave to its
// garbage collection. Then it unpins the images the run pinned and, with
// CLEANUP_IMAGES, removes those it loaded that the node did not hold. The
// summary says what is left. A failure of any of this is reported, and
// fails no run: it certifies nothing either way.
func (p *imagesPhase) Stop(ctx context.Context, rc *RunContext) error {
	pods, podsErr := RunPods{}, error(nil)
	if rc.Client != nil {
		if err := deleteLeftovers(ctx, rc); err != nil {
			rc.Logger.Warn("cleanup of what the specs created", "error", err.Error())
		}
		pods, podsErr = RemoveRunPods(ctx, rc, p.started)
		if podsErr != nil {
			rc.Logger.Warn("the run's pods may stay on the node", "error", podsErr.Error())
		} else {
			rc.Logger.Info("the run's pods removed from the node", "sandboxes", pods.Removed, "left", strings.Join(pods.Left, "; "))
		}
	}
	l, closeFn, err := NewLoader(rc.Host, "")
	if err != nil {
		rc.Logger.Warn("the test images stay pinned on the node", "images", strings.Join(p.pinned, ","), "error", err.Error())
	} else {
		defer closeFn()
	}
	if pinner, ok := l.(images.Pinner); ok && len(p.pinned) > 0 {
		if err := pinner.Unpin(ctx, p.pinned); err != nil {
			rc.Logger.Warn("the test images stay pinned on the node", "images", strings.Join(p.pinned, ","), "error", err.Error())
		} else {
			_ = os.Remove(rc.Host.Path(PinStateFile))
			rc.Logger.Info("test images unpinned", "images", strings.Join(p.pinned, ","))
		}
	}
	var imagesErr error
	if rc.Config.CleanupImages && len(p.added) > 0 {
		if remover, ok := l.(images.Remover); ok {
			imagesErr = remover.Remove(ctx, p.added)
		} else {
			imagesErr = fmt.Errorf("node-test cannot remove images from the node's runtime")
		}
		if imagesErr != nil {
			rc.Logger.Warn("the images the run loaded stay on the node", "images", strings.Join(p.added, ","), "error", imagesErr.Error())
		} else {
			rc.Logger.Info("removed the images the run loaded (CLEANUP_IMAGES)", "images", strings.Join(p.added, ","))
		}
	}
	rc.mu.Lock()
	rc.About.LeftOnNode = leftOnNode(pods, podsErr, p.added, p.replaced, rc.Config.CleanupImages, imagesErr)
	rc.mu.Unlock()
	return nil
}

// neededImages returns the carried images the selected specs (listed by the
// preflight) need: those the packages declaring them refer to
// (images.ForSpecPackages). It warns of those they refer to that node-test
// does not carry.
func neededImages(rc *RunContext) []images.Image {
	var pkgs []string
	for _, s := range rc.Specs {
		if !slices.Contains(pkgs, s.Package) {
			pkgs = append(pkgs, s.Package)
		}
	}
	need, missing := images.ForSpecPackages(pkgs)
	var names []string
	for _, img := range need {
		names = append(names, img.Name)
	}
	rc.Logger.Info("images the selected specs need", "specs", len(rc.Specs), "packages", len(pkgs), "images", strings.Join(names, ","))
	for _, u := range missing {
		rc.Logger.Warn("the packages of the selected specs refer to an image node-test does not carry: a spec using it fails at its pull",
			"image", u.Ref, "why", u.Why)
	}
	return need
}

// LogLoaded reports what a load did: per image and in total, time and bytes.
func LogLoaded(logger *slog.Logger, loaded []images.Loaded, took time.Duration) {
	var bytes int64
	n := 0
	for _, l := range loaded {
		attrs := []any{"ref", l.Ref, "bytes", l.Bytes, "already present", l.Skipped, "pinned for the run", l.Pinned, "took", l.Duration.Round(time.Millisecond)}
		if l.Removed != "" {
			attrs = append(attrs, "removed its previous image", l.Removed)
		}
		logger.Info("image", attrs...)
		if !l.Skipped {
			bytes += l.Bytes
			n++
		}
	}
	logger.Info("images loaded", "loaded", n, "already present", len(loaded)-n, "bytes", bytes, "took", took.Round(time.Millisecond))
}

// NewLoader returns the image loader for the host's runtime: "containerd",
// "docker", or "" for the CRI runtime found on the host. The returned
// function releases it.
func NewLoader(h *host.Host, runtime string) (images.Loader, func(), error) {
	if runtime == "docker" {
		for _, s := range []string{"/run/docker.sock", "/var/run/docker.sock"} {
			if h.Exists(s) {
				return &images.DockerLoader{Socket: h.Path(s)}, func() {}, nil
			}
		}
		return nil, nil, fmt.Errorf("no docker socket under %s (/run/docker.sock): is dockerd running?", h.Root)
	}
	r, err := h.Runtime("")
	if err != nil {
		return nil, nil, err
	}
	if runtime != "" && runtime != r.Name {
		return nil, nil, fmt.Errorf("the host's CRI runtime is %s, not %s", r.Name, runtime)
	}
	switch r.Name {
	case "containerd":
		cri, err := h.DialCRI(r)
		if err != nil {
			return nil, nil, err
		}
		return &images.ContainerdLoader{
			Socket: h.Path(r.Socket), Snapshotter: containerdSnapshotter(h),
			Arch: images.HostArch(), CRI: cri.Image,
		}, func() { cri.Close() }, nil
	case "cri-dockerd":
		return NewLoader(h, "docker")
	default:
		a := images.HostArch().Name
		return nil, nil, fmt.Errorf("%w (%s): load the test images on the host, into the runtime's image store, then run again: "+
			"podman create --name node-test-images <node-test image> && podman cp node-test-images:/usr/local/images/%s/%s . && "+
			"podman rm node-test-images && podman load -i %s (or build the archive: node-test images build --arch %s)",
			images.ErrNoImportAPI, r.Name, a, images.ArchiveName, images.ArchiveName, a)
	}
}

var snapshotterRE = regexp.MustCompile(`(?m)^\s*snapshotter\s*=\s*"([^"]+)"`)

// containerdSnapshotter is the snapshotter set in the host's containerd
// config, overlayfs when it sets none.
func containerdSnapshotter(h *host.Host) string {
	b, err := h.ReadFile("/etc/containerd/config.toml")
	if err == nil {
		if m := snapshotterRE.FindSubmatch(b); m != nil {
			return string(m[1])
		}
	}
	return "overlayfs"
}

// DefaultImagesDir is where the image archives are, beside the binaries:
// <bin>/../images.
func DefaultImagesDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "images"
	}
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), "images")
}
