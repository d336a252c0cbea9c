package images

import (
	"slices"
	"testing"

	commontest "k8s.io/kubernetes/test/e2e/common"
	imageutils "k8s.io/kubernetes/test/utils/image"

	"github.com/node-test/node-test/images/refs"
)

// TestEveryPrePulledImageIsCarriedOrSaidNotToBe checks the registry against
// the pinned framework's own pre-pull list and the node images: each is
// built, or listed by NotCarried with the reason.
func TestEveryPrePulledImageIsCarriedOrSaidNotToBe(t *testing.T) {
	known := map[string]bool{}
	for _, img := range Registry() {
		known[img.Ref] = true
	}
	for _, u := range NotCarried() {
		if known[u.Ref] {
			t.Errorf("%s is both carried and listed as not carried", u.Ref)
		}
		if u.Why == "" {
			t.Errorf("%s is not carried without saying why", u.Ref)
		}
		known[u.Ref] = true
	}
	want := commontest.PrePulledImages.List()
	want = append(want, imageutils.GetPauseImageName(), imageutils.GetE2EImage(imageutils.Nonewprivs), imageutils.GetE2EImage(imageutils.Perl))
	for _, ref := range want {
		if !known[ref] {
			t.Errorf("%s, in the framework's pre-pull list, is neither carried nor listed by NotCarried", ref)
		}
	}
}

// TestEveryImageTheSpecsUseIsCarriedOrSaidNotToBe checks the registry against
// the images the linked spec packages refer to (usedby.go, generated from
// their sources): each is built, or listed by NotCarried with the reason.
func TestEveryImageTheSpecsUseIsCarriedOrSaidNotToBe(t *testing.T) {
	known := map[imageutils.ImageID]bool{}
	for _, img := range Registry() {
		known[img.ID] = true
	}
	for _, u := range NotCarried() {
		known[u.ID] = true
	}
	if len(imagesByPackage) == 0 {
		t.Fatal("usedby.go maps no spec package: run go generate ./images")
	}
	for pkg, ids := range imagesByPackage {
		for _, id := range ids {
			if !known[id] {
				t.Errorf("%s, used by %s, is neither carried nor listed by NotCarried", imageutils.GetE2EImage(id), pkg)
			}
		}
	}
}

// TestEveryOwnImageTheSpecsUseIsCarried checks that each images/refs
// constant a spec package uses (usedby.go) names an image of the registry,
// under that constant's reference.
func TestEveryOwnImageTheSpecsUseIsCarried(t *testing.T) {
	own := map[string]Image{}
	for _, img := range Registry() {
		if img.Own != "" {
			own[img.Own] = img
		}
	}
	if len(ownImagesByPackage) == 0 {
		t.Fatal("usedby.go maps no spec package to an image of images/refs: run go generate ./images")
	}
	for pkg, names := range ownImagesByPackage {
		for _, name := range names {
			if _, ok := own[name]; !ok {
				t.Errorf("refs.%s, used by %s, is no image of the registry", name, pkg)
			}
		}
	}
	if img := own["ImageConfig"]; img.Ref != refs.ImageConfig || img.ID != imageutils.None {
		t.Errorf("the image-config image is %q (framework id %d), want %q and no framework id", img.Ref, img.ID, refs.ImageConfig)
	}
}

// TestForSpecPackages checks the images a selection needs: pause always,
// then what its spec packages use, and what of that is not carried.
func TestForSpecPackages(t *testing.T) {
	names := func(imgs []Image) []string {
		var out []string
		for _, img := range imgs {
			out = append(out, img.Name)
		}
		return out
	}
	none, missing := ForSpecPackages(nil)
	if got := names(none); len(got) != 1 || got[0] != "pause" || len(missing) != 0 {
		t.Errorf("no specs need %v and miss %v; want pause alone", got, missing)
	}
	own, _ := ForSpecPackages([]string{"github.com/node-test/node-test/suites/node"})
	if got := names(own); !slices.Contains(got, "busybox") || slices.Contains(got, "nonewprivs") || slices.Contains(got, "image-config") {
		t.Errorf("suites/node needs %v: want busybox (its pods run it), not nonewprivs nor image-config", got)
	}
	runtime, _ := ForSpecPackages([]string{"github.com/node-test/node-test/suites/runtime"})
	if got := names(runtime); !slices.Contains(got, "image-config") || !slices.Contains(got, "agnhost") {
		t.Errorf("suites/runtime needs %v: want image-config (its ImageConfig specs) and agnhost", got)
	}
	common, missing := ForSpecPackages([]string{"k8s.io/kubernetes/test/e2e/common/node"})
	for _, want := range []string{"pause", "busybox", "agnhost", "agnhost-prev", "nonewprivs", "nonroot"} {
		if !slices.Contains(names(common), want) {
			t.Errorf("e2e/common/node needs %v: want %s among them", names(common), want)
		}
	}
	if !slices.ContainsFunc(missing, func(u Uncarried) bool { return u.ID == imageutils.Kitten }) {
		t.Errorf("e2e/common/node misses %v: want kitten (the ImageVolume spec) among them", missing)
	}
	if used := UsedBy(imageutils.Nonewprivs); !slices.Equal(used, []string{"k8s.io/kubernetes/test/e2e/common/node"}) {
		t.Errorf("nonewprivs is used by %v, want e2e/common/node (the security context specs)", used)
	}
}
