package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-test/node-test/images"
	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/host"

	"github.com/node-test/node-test/internal/testenv"
)

// imageProbes say how a container of each carried image proves it runs: the
// command (nil: the image's own) and, for a command, the output it prints.
var imageProbes = map[string]struct {
	cmd  []string
	want string
}{
	"pause":             {},
	"busybox":           {[]string{"sh", "-c", "echo busybox runs"}, "busybox runs"},
	"agnhost":           {[]string{"/agnhost", "--help"}, "Usage:"},
	"agnhost-prev":      {[]string{"/agnhost-2", "--help"}, "Usage:"},
	"nonewprivs":        {[]string{"sh", "-c", "nnp"}, "Effective uid: 0"},
	"nonroot":           {[]string{"id", "-u"}, "1234"},
	"nginx":             {},
	"glibc-dns-testing": {[]string{"sh", "-c", "hostname && echo glibc runs"}, "glibc runs"},
	// Its own command prints its report and exits: run as the entrypoint,
	// it reports the image's working directory and user.
	"image-config": {[]string{"/bin/sh", "/image-config/report.sh", "probe"}, "cwd=/srv/image-config\nuid=4321\ngid=4322\n"},
}

// imagesDir is the archives make test builds for this machine.
func imagesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../_output/images")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(images.Archive(dir, images.HostArch())); err != nil {
		t.Fatalf("%v: build the test images first (build/images.sh build, run by make test)", err)
	}
	return dir
}

// TestIntegrationImagesLoadIntoContainerd loads every carried image into the
// local node's containerd through `node-test images load`, twice: the
// second load finds each image present, as the CRI reports it. Each image
// then runs a container on that containerd. A fresh reference shows a real
// import, then a no-op. (make e2e runs the specs' pods of these images.)
func TestIntegrationImagesLoadIntoContainerd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up)")
	}
	dir := imagesDir(t)
	for i := range 2 {
		code, out := run(t, "images", "load", "--rootfs", "/", "--dir", dir)
		if code != 0 {
			t.Fatalf("images load exited %d:\n%s", code, out)
		}
		for _, img := range images.Registry() {
			if i == 1 && !strings.Contains(out, "present\t"+img.Ref+"\t") {
				t.Errorf("the second load did not find %s present:\n%s", img.Ref, out)
			}
		}
	}

	h, r, cri := localCRI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, img := range images.Registry() {
		t.Run(img.Name, func(t *testing.T) {
			// A container that exits at once may, now and then, have
			// its output lost between the runtime's shim and the client
			// (containerd#770): its run is tried again, up to three
			// times in all, when it exits 0 having printed nothing.
			var got string
			for try := 1; try <= 3; try++ {
				var err error
				if got, err = containerdRun(ctx, h.Path(r.Socket), img.Ref, imageProbes[img.Name].cmd); err != nil {
					t.Fatal(err)
				}
				if got != "" || imageProbes[img.Name].want == "" {
					break
				}
				t.Logf("%s: try %d printed nothing", img.Ref, try)
			}
			if want := imageProbes[img.Name].want; !strings.Contains(got, want) {
				t.Errorf("%s printed %q, want %q", img.Ref, got, want)
			}
		})
	}

	t.Run("fresh reference", func(t *testing.T) {
		l, release, err := runner.NewLoader(h, "containerd")
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		checkLoadThenNoOp(t, l, dir, func(ref string) {
			if _, err := cri.Image.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}}); err != nil {
				t.Errorf("remove %s: %v", ref, err)
			}
		})
	})

	// A run pins what it loads or finds unpinned, and unpins it at its end.
	t.Run("pinned for a run", func(t *testing.T) {
		l, release, err := runner.NewLoader(h, "containerd")
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		busybox := archivedBusybox(t, dir)
		ref := fmt.Sprintf("node-test.invalid/pin-test/busybox:%d", time.Now().UnixNano())
		c, err := containerd.New(h.Path(r.Socket), containerd.WithDefaultNamespace(images.ContainerdNamespace))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		pinned := func() string {
			img, err := c.ImageService().Get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			return img.Labels[images.PinnedLabel]
		}
		load := func(wantSkipped, wantPinned bool) {
			t.Helper()
			res, err := l.Load(ctx, busybox, ref)
			if err != nil {
				t.Fatal(err)
			}
			if res.Skipped != wantSkipped || res.Pinned != wantPinned || pinned() != "pinned" {
				t.Errorf("load of %s: skipped=%v pinned=%v, label %q; want skipped=%v pinned=%v, label pinned",
					ref, res.Skipped, res.Pinned, pinned(), wantSkipped, wantPinned)
			}
		}
		load(false, true)
		defer cri.Image.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err := l.(images.Pinner).Unpin(ctx, []string{ref}); err != nil {
			t.Fatal(err)
		}
		if got := pinned(); got != "" {
			t.Errorf("after Unpin, %s is labelled %s=%q", ref, images.PinnedLabel, got)
		}
		load(true, true)  // present, unpinned: pinned again
		load(true, false) // present and pinned: left as it is
	})
}

// TestIntegrationImagesLoadIntoDocker loads every carried image into the
// local node's Docker engine (make node-up WITH_DOCKER=1), twice, and runs
// a container of each.
func TestIntegrationImagesLoadIntoDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node with Docker (make node-up WITH_DOCKER=1)")
	}
	if _, err := os.Stat("/run/docker.sock"); err != nil {
		testenv.Missing(t, "no Docker engine on this node: make node-up WITH_DOCKER=1")
	}
	dir := imagesDir(t)
	for i := range 2 {
		code, out := run(t, "images", "load", "--rootfs", "/", "--dir", dir, "--runtime", "docker")
		if code != 0 {
			t.Fatalf("images load --runtime docker exited %d:\n%s", code, out)
		}
		for _, img := range images.Registry() {
			if i == 1 && !strings.Contains(out, "present\t"+img.Ref+"\t") {
				t.Errorf("the second load did not find %s present:\n%s", img.Ref, out)
			}
		}
	}
	for _, img := range images.Registry() {
		t.Run(img.Name, func(t *testing.T) {
			p := imageProbes[img.Name]
			args := []string{"run", "--rm", "--network", "none", "--pull", "never"}
			if p.cmd == nil {
				// The image's own command runs until stopped: see it start.
				args = append(args, "--detach")
			} else {
				args = append(args, "--entrypoint", p.cmd[0])
			}
			args = append(args, img.Ref)
			if p.cmd != nil {
				args = append(args, p.cmd[1:]...)
			}
			out, err := exec.Command("docker", args...).CombinedOutput()
			if err != nil {
				t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			if p.cmd == nil {
				id := strings.TrimSpace(string(out))
				if out, err := exec.Command("docker", "rm", "--force", id).CombinedOutput(); err != nil {
					t.Errorf("docker rm %s: %v\n%s", id, err, out)
				}
			} else if !strings.Contains(string(out), p.want) {
				t.Errorf("%s printed %q, want %q", img.Ref, out, p.want)
			}
		})
	}

	t.Run("fresh reference", func(t *testing.T) {
		h, err := host.New("/")
		if err != nil {
			t.Fatal(err)
		}
		l, release, err := runner.NewLoader(h, "docker")
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		checkLoadThenNoOp(t, l, dir, func(ref string) {
			if out, err := exec.Command("docker", "image", "rm", ref).CombinedOutput(); err != nil {
				t.Errorf("docker image rm %s: %v\n%s", ref, err, out)
			}
		})
	})
}

// archivedBusybox is the busybox image of this machine's arch in the
// archive under dir.
func archivedBusybox(t *testing.T, dir string) v1.Image {
	t.Helper()
	imgs, err := images.Lookup("busybox")
	if err != nil {
		t.Fatal(err)
	}
	busybox, err := images.FromArchive(dir, images.HostArch(), imgs[0])
	if err != nil {
		t.Fatal(err)
	}
	return busybox
}

// checkLoadThenNoOp loads a busybox image of its own (a label makes its ID
// unique) under a reference no runtime has: the first load imports it, the
// second finds it present. Loading busybox itself under that reference then
// removes the image it replaces, which no tag names any more. remove
// deletes the reference afterwards.
func checkLoadThenNoOp(t *testing.T, l images.Loader, dir string, remove func(ref string)) {
	t.Helper()
	busybox := archivedBusybox(t, dir)
	ref := fmt.Sprintf("node-test.invalid/load-test/busybox:%d", time.Now().UnixNano())
	cf, err := busybox.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{"io.node-test.load-test": ref}
	own, err := mutate.ConfigFile(busybox, cf)
	if err != nil {
		t.Fatal(err)
	}
	ownID, err := own.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := l.Load(ctx, own, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer remove(ref)
	second, err := l.Load(ctx, own, ref)
	if err != nil {
		t.Fatal(err)
	}
	if first.Skipped || !second.Skipped {
		t.Errorf("loading %s twice: first skipped=%v, second skipped=%v; want an import, then a no-op", ref, first.Skipped, second.Skipped)
	}
	if first.Bytes == 0 {
		t.Errorf("the load of %s reports no bytes", ref)
	}
	third, err := l.Load(ctx, busybox, ref)
	if err != nil {
		t.Fatal(err)
	}
	if third.Skipped || third.Removed != ownID.String() {
		t.Errorf("loading busybox as %s over its own image %s: skipped=%v, removed %q; want an import that removes %s", ref, ownID, third.Skipped, third.Removed, ownID)
	}
}

// containerdRun runs a container of image on the node's containerd, in the
// CRI plugin's namespace and with its snapshotter, with cmd (nil: the
// image's own command) as the image's user, and returns its output once it
// exits 0; a container of the image's own command only has to start. It is
// not a CRI container: the kubelet, which kills the pods it does not know,
// leaves it alone.
func containerdRun(ctx context.Context, socket, image string, cmd []string) (string, error) {
	c, err := containerd.New(socket, containerd.WithDefaultNamespace(images.ContainerdNamespace))
	if err != nil {
		return "", err
	}
	defer c.Close()
	img, err := c.GetImage(ctx, image)
	if err != nil {
		return "", fmt.Errorf("containerd has no image %s: %w", image, err)
	}
	id := fmt.Sprintf("node-test-images-%d", time.Now().UnixNano())
	opts := []oci.SpecOpts{oci.WithImageConfig(img)}
	if cmd != nil {
		opts = append(opts, oci.WithProcessArgs(cmd...))
	}
	ctr, err := c.NewContainer(ctx, id, containerd.WithImage(img), containerd.WithSnapshotter("overlayfs"),
		containerd.WithNewSnapshot(id, img), containerd.WithNewSpec(opts...))
	if err != nil {
		return "", fmt.Errorf("create a container of %s: %w", image, err)
	}
	defer ctr.Delete(context.Background(), containerd.WithSnapshotCleanup)
	var out lockedBuffer
	task, err := ctr.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, &out, &out)))
	if err != nil {
		return "", fmt.Errorf("create the task of %s: %w", image, err)
	}
	defer task.Delete(context.Background(), containerd.WithProcessKill)
	exited, err := task.Wait(ctx)
	if err != nil {
		return "", err
	}
	if err := task.Start(ctx); err != nil {
		return "", fmt.Errorf("start a container of %s: %w", image, err)
	}
	if cmd == nil {
		time.Sleep(time.Second)
		st, err := task.Status(ctx)
		if err != nil || st.Status != containerd.Running {
			return "", fmt.Errorf("the container of %s is not running a second after its start: %v, %v: %s", image, st.Status, err, out.String())
		}
		return out.String(), nil
	}
	select {
	case st := <-exited:
		// Deleting the task waits for its output to be copied.
		if _, err := task.Delete(ctx); err != nil {
			return "", fmt.Errorf("delete the task of %s: %w", image, err)
		}
		code, _, err := st.Result()
		if err != nil || code != 0 {
			return "", fmt.Errorf("the container of %s exited %d, %v: %s", image, code, err, out.String())
		}
		return out.String(), nil
	case <-ctx.Done():
		return "", fmt.Errorf("the container of %s: %w", image, ctx.Err())
	}
}

// lockedBuffer is a buffer two streams write to at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestImagesPush pushes an OCI layout of one image through `node-test images
// push` to a registry served in the test; the registry then serves the
// digest the command printed. An empty directory is refused, naming make
// image-oci.
func TestImagesPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/node-test:v0"
	dir := t.TempDir()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := layout.Write(dir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	code, out := run(t, "images", "push", "--oci", dir, "--insecure", ref)
	if code != 0 {
		t.Fatalf("images push: exit code %d: %s", code, out)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil {
		t.Fatalf("the registry does not serve %s after images push: %v", ref, err)
	}
	if want := fmt.Sprintf("pushed %s@%s from %s", ref, desc.Digest, dir); !strings.Contains(out, want) {
		t.Fatalf("images push printed %q, want %q", out, want)
	}

	code, out = run(t, "images", "push", "--oci", t.TempDir(), ref)
	if code == 0 || !strings.Contains(out, "make image-oci writes one") {
		t.Fatalf("images push of an empty directory: exit code %d, %s; want a failure naming make image-oci", code, out)
	}
}
