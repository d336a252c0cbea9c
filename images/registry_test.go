package images

import (
	"testing"

	commontest "k8s.io/kubernetes/test/e2e/common"
	imageutils "k8s.io/kubernetes/test/utils/image"
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
		if u.Why == "" || u.UsedBy == "" {
			t.Errorf("%s is not carried without saying why or what uses it", u.Ref)
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
