package images

import (
	"fmt"
	"slices"
	"strings"

	imageutils "k8s.io/kubernetes/test/utils/image"

	"github.com/node-test/node-test/images/refs"
)

// Image is one test image node-test carries.
type Image struct {
	// Name is the short name used on the command line: pause, busybox, ….
	Name string
	// ID is the pinned e2e framework's identifier of the image; None for
	// an image of node-test's own specs, which Own names instead.
	ID imageutils.ImageID
	// Own is the name of the constant of package images/refs that
	// node-test's own specs refer to the image by; "" for the framework's.
	Own string
	// Ref is the reference the framework expects, e.g.
	// registry.k8s.io/e2e-test-images/busybox:1.37.0-2.
	Ref string
	// Recipe says in one line how the image is built.
	Recipe string
	// Arches lists the architectures it can be built for.
	Arches []string
	// Always says why every run needs the image, whatever specs it selects;
	// "" when only the specs using it do.
	Always string

	build buildFunc
}

// Registry lists every image node-test knows how to build, in build order.
func Registry() []Image {
	all := ArchNames()
	return []Image{
		{
			Name: "pause", ID: imageutils.Pause, Ref: imageutils.GetPauseImageName(),
			Recipe: "images/pause built with CGO_ENABLED=0 (no libc)",
			Arches: all, Always: "every pod's sandbox",
			build: buildPause,
		},
		{
			Name: "busybox", ID: imageutils.BusyBox, Ref: imageutils.GetE2EImage(imageutils.BusyBox),
			Recipe: "busybox compiled statically from Debian's source package with its static config plus FEATURE_DI_ENV_HACK and less FEATURE_PREFER_APPLETS (PATH before applets), by Debian's compilers for the arch; one symlink per applet (ash as /bin/sh), bash-static as /bin/bash, /etc/passwd, /tmp 1777",
			Arches: all,
			build:  buildBusybox,
		},
		{
			Name: "agnhost", ID: imageutils.Agnhost, Ref: imageutils.GetE2EImage(imageutils.Agnhost),
			Recipe: "busybox rootfs plus k8s.io/kubernetes/test/images/agnhost (also as /agnhost-2) with its porter certificate and key at /localhost.crt and /localhost.key, images/curl and images/nc, CGO_ENABLED=0",
			Arches: all,
			build:  buildAgnhost,
		},
		{
			Name: "agnhost-prev", ID: imageutils.AgnhostPrev, Ref: imageutils.GetE2EImage(imageutils.AgnhostPrev),
			Recipe: "the agnhost image above, labelled apart: specs use it as a second agnhost image",
			Arches: all,
			build:  buildAgnhostPrev,
		},
		{
			Name: "nonewprivs", ID: imageutils.Nonewprivs, Ref: imageutils.GetE2EImage(imageutils.Nonewprivs),
			Recipe: "busybox rootfs plus k8s.io/kubernetes/test/images/nonewprivs as setuid-root /usr/local/bin/nnp",
			Arches: all,
			build:  buildNonewprivs,
		},
		{
			Name: "nginx", ID: imageutils.Nginx, Ref: imageutils.GetE2EImage(imageutils.Nginx),
			Recipe: "Debian's nginx (core, no module) with its libraries on the glibc base (Debian's libc6, dash as /bin/sh, coreutils, hostname); serves /usr/share/nginx/html on port 80, logs to the container's output",
			Arches: all,
			build:  buildNginx,
		},
		{
			Name: "glibc-dns-testing", ID: imageutils.GlibcDnsTesting, Ref: imageutils.GetE2EImage(imageutils.GlibcDnsTesting),
			Recipe: "the glibc base alone (Debian's libc6, dash as /bin/sh, coreutils, hostname): what the hostname override specs run; upstream's dig and coredns are left out",
			Arches: all,
			build:  buildGlibcDNSTesting,
		},
		{
			Name: "nonroot", ID: imageutils.NonRoot, Ref: imageutils.GetE2EImage(imageutils.NonRoot),
			Recipe: "busybox rootfs run as USER 1234, as upstream's test/images/nonroot",
			Arches: all,
			build:  buildNonroot,
		},
		{
			Name: "image-config", Own: "ImageConfig", Ref: refs.ImageConfig,
			Recipe: "busybox rootfs with an image configuration of its own, for the ImageConfig specs: WORKDIR " + imageConfigDir + ", USER " + imageConfigUser + " (group 4322 in its /etc/passwd), two ENV beside PATH, ENTRYPOINT " + imageConfigEntry + " (prints its working directory, ids, /proc cmdline and environ) and CMD",
			Arches: all,
			build:  buildImageConfig,
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

// UsedBy lists the packages of linked specs whose code, or the code of the
// framework packages they import, refers to the image id (see usedby.go).
func UsedBy(id imageutils.ImageID) []string {
	var out []string
	for pkg, ids := range imagesByPackage {
		if slices.Contains(ids, id) {
			out = append(out, pkg)
		}
	}
	slices.Sort(out)
	return out
}

// UsedBy lists the packages of linked specs that use the image: by its
// framework identifier, or by its constant of images/refs.
func (img Image) UsedBy() []string {
	if img.Own == "" {
		return UsedBy(img.ID)
	}
	var out []string
	for pkg := range ownImagesByPackage {
		if img.usedIn(pkg) {
			out = append(out, pkg)
		}
	}
	slices.Sort(out)
	return out
}

// usedIn reports whether the spec package pkg uses the image.
func (img Image) usedIn(pkg string) bool {
	if img.Own != "" {
		return slices.Contains(ownImagesByPackage[pkg], img.Own)
	}
	return slices.Contains(imagesByPackage[pkg], img.ID)
}

// ForSpecPackages returns the images the specs of the packages pkgs need:
// the carried ones, in registry order, with those every run needs, and the
// ones node-test does not carry.
func ForSpecPackages(pkgs []string) (carried []Image, missing []Uncarried) {
	used := func(id imageutils.ImageID) bool {
		return slices.ContainsFunc(pkgs, func(p string) bool { return slices.Contains(imagesByPackage[p], id) })
	}
	for _, img := range Registry() {
		if img.Always != "" || slices.ContainsFunc(pkgs, img.usedIn) {
			carried = append(carried, img)
		}
	}
	for _, u := range NotCarried() {
		if used(u.ID) {
			missing = append(missing, u)
		}
	}
	return carried, missing
}

// Uncarried is an image of the framework's lists, or one the linked specs
// refer to, that node-test does not carry, and why.
type Uncarried struct {
	ID  imageutils.ImageID
	Ref string
	Why string
}

// NotCarried lists the images of the pinned framework's pre-pull list (and
// the node images), and the images the linked specs refer to, that node-test
// does not build: the specs using them fail at their pull on a node that
// reaches no registry, as they would under upstream's node-test.
func NotCarried() []Uncarried {
	u := func(id imageutils.ImageID, why string) Uncarried {
		return Uncarried{ID: id, Ref: imageutils.GetE2EImage(id), Why: why}
	}
	return []Uncarried{
		u(imageutils.Kitten, "the ImageVolume spec pulls it on purpose (pull policy Always): it needs a registry"),
		u(imageutils.AgnhostPrivate, "the credential provider spec pulls it on purpose from a private registry"),
		u(imageutils.InvalidRegistryImage, "an unreachable registry on purpose: the spec expects its pull to fail"),
		u(imageutils.IpcUtils, "only the host IPC namespace specs of upstream's node suite run it, outside the default selection (not [NodeConformance])"),
		u(imageutils.VolumeNFSServer, "the linked specs reach it only through the framework's NFS volume helpers, which no node spec calls (upstream's NFS volume specs do)"),
		u(imageutils.Perl, "only the local storage quota spec of upstream's node suite runs it, outside the default selection ([Serial])"),
	}
}
