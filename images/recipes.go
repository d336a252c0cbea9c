package images

import (
	"context"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

const pathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func buildPause(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	bin, err := b.goBinary(ctx, "github.com/node-test/node-test/images/pause", arch)
	if err != nil {
		return nil, err
	}
	fs := newRootfs()
	if err := fs.copyFile("pause", 0o755, bin); err != nil {
		return nil, err
	}
	return layered(arch, v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}, fs)
}

func buildBusybox(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	return onBusybox(ctx, b, arch, nil, v1.Config{Cmd: []string{"sh"}, Env: []string{pathEnv}})
}

// onBusybox is an image of two layers: the busybox image's one, then fs
// (none when fs is nil). The images built on busybox share its layer, so an
// archive holding several of them holds it once.
func onBusybox(ctx context.Context, b *Builder, arch Arch, fs *rootfs, cfg v1.Config) (v1.Image, error) {
	base, err := busyboxRootfs(ctx, b, arch)
	if err != nil {
		return nil, err
	}
	return layered(arch, cfg, base, fs)
}

// layered is an image of one layer per file tree of fss, nil ones left out.
func layered(arch Arch, cfg v1.Config, fss ...*rootfs) (v1.Image, error) {
	var ls []v1.Layer
	for _, fs := range fss {
		if fs == nil {
			continue
		}
		l, err := fs.layer()
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return image(arch, cfg, ls...)
}

func buildAgnhost(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs := newRootfs()
	bin, err := b.goBinary(ctx, "k8s.io/kubernetes/test/images/agnhost", arch)
	if err != nil {
		return nil, err
	}
	if err := fs.copyFile("agnhost", 0o755, bin); err != nil {
		return nil, err
	}
	// The entrypoint specs run agnhost under a second name.
	fs.symlink("agnhost-2", "agnhost")
	// Specs run curl and a UDP-capable nc inside agnhost containers
	// (lifecycle hooks, the network dial helpers); upstream's image installs
	// them, ours carries images/curl and images/nc.
	for _, tool := range []string{"curl", "nc"} {
		bin, err := b.goBinary(ctx, "github.com/node-test/node-test/images/"+tool, arch)
		if err != nil {
			return nil, err
		}
		if err := fs.copyFile("usr/bin/"+tool, 0o755, bin); err != nil {
			return nil, err
		}
	}
	// The HTTPS lifecycle hook specs serve TLS from agnhost netexec with
	// the certificate and key upstream's image carries at its root.
	for _, f := range []string{"localhost.crt", "localhost.key"} {
		src, err := b.moduleFile(ctx, "k8s.io/kubernetes", "test/images/agnhost/porter/"+f)
		if err != nil {
			return nil, err
		}
		if err := fs.copyFile(f, 0o644, src); err != nil {
			return nil, err
		}
	}
	// Specs run agnhost as these ids, as upstream's image declares them.
	fs.file("etc/passwd", 0o644, []byte(passwd+"agnhost:x:1000:50000:agnhost:/home:/bin/sh\n"))
	fs.file("etc/group", 0o644, []byte(group+"agnhost:x:50000:\n"))
	return onBusybox(ctx, b, arch, fs, v1.Config{Entrypoint: []string{"/agnhost"}, Cmd: []string{"pause"}, Env: []string{pathEnv}})
}

// buildNonewprivs is busybox with k8s.io/kubernetes/test/images/nonewprivs
// as a setuid-root /usr/local/bin/nnp that prints its effective uid: the
// AllowPrivilegeEscalation specs see whether the setuid bit took effect.
func buildNonewprivs(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs := newRootfs()
	bin, err := b.goBinary(ctx, "k8s.io/kubernetes/test/images/nonewprivs", arch)
	if err != nil {
		return nil, err
	}
	if err := fs.copyFile("usr/local/bin/nnp", 0o4755, bin); err != nil {
		return nil, err
	}
	return onBusybox(ctx, b, arch, fs, v1.Config{Cmd: []string{"nnp"}, Env: []string{pathEnv}})
}

// nonrootUser is the user upstream's nonroot image runs as.
const nonrootUser = "1234"

// buildNonroot is busybox whose image config runs as a non-root user: the
// runAsNonRoot specs check that the kubelet runs it as the image says.
func buildNonroot(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	return onBusybox(ctx, b, arch, nil, v1.Config{User: nonrootUser, Cmd: []string{"sh"}, Env: []string{pathEnv}})
}

// buildAgnhostPrev is the image the framework names as agnhost's previous
// release. Specs use it only as a second agnhost image (to change a pod's
// image and see it run); it is the pinned agnhost with a label that makes
// its image ID differ, and its layers are agnhost's.
func buildAgnhostPrev(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	img, err := buildAgnhost(ctx, b, arch)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{"io.node-test.image": "agnhost-prev"}
	return mutate.ConfigFile(img, cf)
}

const (
	passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
	group  = "root:x:0:\nnogroup:x:65534:\n"
)

// busyboxRootfs is busybox built from Debian's source for arch (see
// Builder.busybox) with one symlink per applet, /bin/sh among them: specs
// expect ash's messages (the read-only rootfs spec reads "/bin/sh: can't
// create /file: Read-only file system"), and its ash passes environment
// variables whose names are not shell names, such as the envFrom key data-1,
// on to the commands it runs. /bin/bash is Debian's static bash, which probe
// specs run.
func busyboxRootfs(ctx context.Context, b *Builder, arch Arch) (*rootfs, error) {
	bb, err := b.busybox(ctx, arch)
	if err != nil {
		return nil, err
	}
	bashDir, err := b.debian(ctx, "bash-static", arch.Debian)
	if err != nil {
		return nil, err
	}
	fs := newRootfs()
	if err := fs.copyFile("bin/busybox", 0o755, bb.Binary); err != nil {
		return nil, err
	}
	for _, applet := range bb.Applets {
		if applet != "busybox" {
			fs.symlink("bin/"+applet, "busybox")
		}
	}
	if err := fs.copyFile("bin/bash", 0o755, filepath.Join(bashDir, "bin/bash-static")); err != nil {
		return nil, err
	}
	fs.file("etc/passwd", 0o644, []byte(passwd))
	fs.file("etc/group", 0o644, []byte(group))
	fs.dir("tmp", 0o1777)
	fs.dir("root", 0o700)
	fs.dir("home", 0o755)
	fs.dir("var/run", 0o755)
	return fs, nil
}

// The image configuration of the image-config image, which node-test's
// ImageConfig specs expect of a container whose pod leaves it unset.
const (
	imageConfigDir   = "/srv/image-config"
	imageConfigUser  = "4321"
	imageConfigEntry = "/image-config/report.sh"
)

// imageConfigReport prints, one per line, what the container's first
// process got: its working directory, uid and gid, command line and
// environment (from /proc, as the runtime set them, not as a shell would
// show them), then sleeps as long as its first argument says, if it is a
// number, so that a spec can also exec into the container.
const imageConfigReport = `echo "cwd=$(pwd)"
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "cmdline=$(tr '\0' ' ' </proc/$$/cmdline)"
tr '\0' '\n' </proc/$$/environ | sed 's/^/env=/'
echo "end"
case $1 in [0-9]*) exec sleep "$1" ;; esac
`

// buildImageConfig is busybox with an image configuration of its own,
// every field of which a pod can leave to the image or replace: a working
// directory the image holds, a non-root user whose primary group only the
// image's /etc/passwd says, two environment variables beside PATH, an
// entrypoint script and a command.
//
// USER names the uid alone: the kubelet passes the runtime the image's uid
// as the container's user and drops a group USER would name (uid:gid), so
// the runtime takes the group from the image's /etc/passwd, as Docker does
// for a user given by uid (kubernetes/kubernetes#61967).
func buildImageConfig(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs := newRootfs()
	fs.file("etc/passwd", 0o644, []byte(passwd+"image-config:x:4321:4322:image-config:"+imageConfigDir+":/bin/sh\n"))
	fs.file("etc/group", 0o644, []byte(group+"image-config:x:4322:\n"))
	fs.dir(imageConfigDir[1:], 0o755)
	fs.file(imageConfigEntry[1:], 0o755, []byte(imageConfigReport))
	return onBusybox(ctx, b, arch, fs, v1.Config{
		WorkingDir: imageConfigDir,
		User:       imageConfigUser,
		Env:        []string{pathEnv, "IMAGE_CONFIG_FROM=image", "IMAGE_CONFIG_ONLY_IMAGE=kept"},
		Entrypoint: []string{"/bin/sh", imageConfigEntry},
		Cmd:        []string{"image-cmd"},
	})
}
