package images

import (
	"fmt"
	"slices"
	"strings"

	imageutils "k8s.io/kubernetes/test/utils/image"
)

// Image is one test image node-test carries.
type Image struct {
	// Name is the short name used on the command line: pause, busybox, ….
	Name string
	// ID is the pinned e2e framework's identifier of the image.
	ID imageutils.ImageID
	// Ref is the reference the framework expects, e.g.
	// registry.k8s.io/e2e-test-images/busybox:1.37.0-2.
	Ref string
	// Recipe says in one line how the image is built.
	Recipe string
	// Arches lists the architectures it can be built for.
	Arches []string
	// UsedBy says what needs the image.
	UsedBy string

	build buildFunc
}

// Registry lists every image node-test knows how to build, in build order.
func Registry() []Image {
	all := ArchNames()
	return []Image{
		{
			Name: "pause", ID: imageutils.Pause, Ref: imageutils.GetPauseImageName(),
			Recipe: "images/pause built with CGO_ENABLED=0 (no libc)",
			Arches: all, UsedBy: "every pod sandbox (containerd sandbox_image)",
			build: buildPause,
		},
		{
			Name: "busybox", ID: imageutils.BusyBox, Ref: imageutils.GetE2EImage(imageutils.BusyBox),
			Recipe: "busybox compiled statically from Debian's source package with its static config plus FEATURE_DI_ENV_HACK and less FEATURE_PREFER_APPLETS (PATH before applets), by Debian's compilers for the arch; one symlink per applet (ash as /bin/sh), bash-static as /bin/bash, /etc/passwd, /tmp 1777",
			Arches: all, UsedBy: "most pod, volume and lifecycle specs",
			build: buildBusybox,
		},
		{
			Name: "agnhost", ID: imageutils.Agnhost, Ref: imageutils.GetE2EImage(imageutils.Agnhost),
			Recipe: "busybox rootfs plus k8s.io/kubernetes/test/images/agnhost (also as /agnhost-2), images/curl and images/nc, CGO_ENABLED=0",
			Arches: all, UsedBy: "probe, network, exec and log specs",
			build: buildAgnhost,
		},
		{
			Name: "agnhost-prev", ID: imageutils.AgnhostPrev, Ref: imageutils.GetE2EImage(imageutils.AgnhostPrev),
			Recipe: "the agnhost image above, labelled apart: specs use it as a second agnhost image",
			Arches: all, UsedBy: "pod update and lifecycle specs",
			build: buildAgnhostPrev,
		},
		{
			Name: "nonewprivs", ID: imageutils.Nonewprivs, Ref: imageutils.GetE2EImage(imageutils.Nonewprivs),
			Recipe: "busybox rootfs plus k8s.io/kubernetes/test/images/nonewprivs as setuid-root /usr/local/bin/nnp",
			Arches: all, UsedBy: "Security Context AllowPrivilegeEscalation specs",
			build: buildNonewprivs,
		},
		{
			Name: "nonroot", ID: imageutils.NonRoot, Ref: imageutils.GetE2EImage(imageutils.NonRoot),
			Recipe: "busybox rootfs run as USER 1234, as upstream's test/images/nonroot",
			Arches: all, UsedBy: "Security Context runAsNonRoot specs (an image specified user ID)",
			build: buildNonroot,
		},
	}
}

// Lookup returns the images called names, in registry order; no names means
// all of them.
func Lookup(names ...string) ([]Image, error) {
	reg := Registry()
	if len(names) == 0 {
		return reg, nil
	}
	var out []Image
	for _, img := range reg {
		if slices.Contains(names, img.Name) {
			out = append(out, img)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(reg, func(img Image) bool { return img.Name == n }) {
			known := make([]string, 0, len(reg))
			for _, img := range reg {
				known = append(known, img.Name)
			}
			return nil, fmt.Errorf("unknown image %q: known images are %s", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// Uncarried is an image of the framework's lists that node-test does not
// carry, and why.
type Uncarried struct {
	Ref    string
	UsedBy string
	Why    string
}

// NotCarried lists the images of the pinned framework's pre-pull list (and
// the node images) that node-test does not build: the specs using them fail
// at their pull on a node that reaches no registry, as they would under
// upstream's node-test.
func NotCarried() []Uncarried {
	return []Uncarried{
		{imageutils.GetE2EImage(imageutils.Nginx), "Pods should cap back-off at MaxContainerBackOff [Slow]; PodTemplates (never run)",
			"nginx is a glibc program: needs a Debian rootfs with its library closure, not built yet"},
		{imageutils.GetE2EImage(imageutils.IpcUtils), "no linked spec (upstream's e2e_node IPC specs)", "not needed by the linked specs"},
		{imageutils.GetE2EImage(imageutils.VolumeNFSServer), "no linked spec (upstream's NFS volume specs)", "not needed by the linked specs"},
		{imageutils.GetE2EImage(imageutils.Perl), "no linked spec (upstream's e2e_node specs)", "not needed by the linked specs"},
		{imageutils.GetE2EImage(imageutils.Kitten), "ImageVolume should succeed with pod and pull policy of Always [Conformance]",
			"the spec pulls it on purpose (pull policy Always): it needs a registry"},
	}
}
