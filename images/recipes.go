package images

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

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
	return image(arch, fs, v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"})
}

func buildBusybox(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs, err := busyboxRootfs(ctx, b, arch)
	if err != nil {
		return nil, err
	}
	return image(arch, fs, v1.Config{Cmd: []string{"sh"}, Env: []string{pathEnv}})
}

func buildAgnhost(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs, err := busyboxRootfs(ctx, b, arch)
	if err != nil {
		return nil, err
	}
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
	// Specs run agnhost as these ids, as upstream's image declares them.
	fs.file("etc/passwd", 0o644, []byte(passwd+"agnhost:x:1000:50000:agnhost:/home:/bin/sh\n"))
	fs.file("etc/group", 0o644, []byte(group+"agnhost:x:50000:\n"))
	return image(arch, fs, v1.Config{Entrypoint: []string{"/agnhost"}, Cmd: []string{"pause"}, Env: []string{pathEnv}})
}

// buildNonewprivs is busybox with k8s.io/kubernetes/test/images/nonewprivs
// as a setuid-root /usr/local/bin/nnp that prints its effective uid: the
// AllowPrivilegeEscalation specs see whether the setuid bit took effect.
func buildNonewprivs(ctx context.Context, b *Builder, arch Arch) (v1.Image, error) {
	fs, err := busyboxRootfs(ctx, b, arch)
	if err != nil {
		return nil, err
	}
	bin, err := b.goBinary(ctx, "k8s.io/kubernetes/test/images/nonewprivs", arch)
	if err != nil {
		return nil, err
	}
	if err := fs.copyFile("usr/local/bin/nnp", 0o4755, bin); err != nil {
		return nil, err
	}
	return image(arch, fs, v1.Config{Cmd: []string{"nnp"}, Env: []string{pathEnv}})
}

// buildAgnhostPrev is the image the framework names as agnhost's previous
// release. Specs use it only as a second agnhost image (to change a pod's
// image and see it run); it is the pinned agnhost with a label that makes
// its image ID differ.
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

// busyboxRootfs is Debian's static busybox of arch with one symlink per
// applet, and Debian's static bash as /bin/sh and /bin/bash: Debian 12's
// busybox ash drops environment variables whose names are not shell names
// (the specs' envFrom keys such as data-1) from the commands it runs, and
// probe specs run /bin/bash. The applet list comes from running the build
// machine's own busybox of the same Debian release.
func busyboxRootfs(ctx context.Context, b *Builder, arch Arch) (*rootfs, error) {
	dir, err := b.debian(ctx, "busybox-static", arch.Debian)
	if err != nil {
		return nil, err
	}
	bashDir, err := b.debian(ctx, "bash-static", arch.Debian)
	if err != nil {
		return nil, err
	}
	hostDir, err := b.debian(ctx, "busybox-static", HostArch().Debian)
	if err != nil {
		return nil, err
	}
	list, err := exec.CommandContext(ctx, filepath.Join(hostDir, "bin/busybox"), "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("list busybox applets: %w", err)
	}
	fs := newRootfs()
	if err := fs.copyFile("bin/busybox", 0o755, filepath.Join(dir, "bin/busybox")); err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" && applet != "sh" {
			fs.symlink("bin/"+applet, "busybox")
		}
	}
	if err := fs.copyFile("bin/bash", 0o755, filepath.Join(bashDir, "bin/bash-static")); err != nil {
		return nil, err
	}
	fs.symlink("bin/sh", "bash")
	fs.file("etc/passwd", 0o644, []byte(passwd))
	fs.file("etc/group", 0o644, []byte(group))
	fs.dir("tmp", 0o1777)
	fs.dir("root", 0o700)
	fs.dir("home", 0o755)
	fs.dir("var/run", 0o755)
	return fs, nil
}
