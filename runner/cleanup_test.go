package runner

import (
	"errors"
	"testing"
)

// TestLeftOnNodeSaysWhatTheRunLeft covers the summary's line of what a run
// left on the node: its pods, then the images it loaded, with and without
// CLEANUP_IMAGES.
func TestLeftOnNodeSaysWhatTheRunLeft(t *testing.T) {
	busybox := []string{"registry.k8s.io/e2e-test-images/busybox:1.37.0-2"}
	for _, tc := range []struct {
		name            string
		pods            RunPods
		podsErr         error
		added, replaced []string
		cleanup         bool
		imagesErr       error
		want            string
	}{
		{"nothing loaded", RunPods{Removed: 2}, nil, nil, nil, false, nil,
			"no pod or container of the run (2 sandboxes removed); no image the run loaded (the node held them all)"},
		{"an image kept", RunPods{}, nil, busybox, nil, false, nil,
			"no pod or container of the run (0 sandboxes removed); the 1 image the run loaded, which the node did not hold (CLEANUP_IMAGES=true removes them): " + busybox[0]},
		{"images removed", RunPods{}, nil, append(busybox, "registry.k8s.io/e2e-test-images/agnhost:2.66.1"), nil, true, nil,
			"no pod or container of the run (0 sandboxes removed); none of the 2 images the run loaded (CLEANUP_IMAGES)"},
		{"removal failed", RunPods{}, nil, busybox, nil, true, errors.New("docker rmi: conflict"),
			"no pod or container of the run (0 sandboxes removed); the images the run loaded, not all removed: docker rmi: conflict"},
		{"a replaced image stays", RunPods{}, nil, nil, busybox, true, nil,
			"no pod or container of the run (0 sandboxes removed); the 1 image the run loaded in place of the node's older ones of the same names: " + busybox[0]},
		{"pods left", RunPods{Left: []string{"pod e2e-1/p (its namespace is still being deleted)"}}, nil, nil, nil, false, nil,
			"1 pod of the run: pod e2e-1/p (its namespace is still being deleted); no image the run loaded (the node held them all)"},
		{"pods unknown", RunPods{}, errors.New("no CRI socket"), nil, nil, false, nil,
			"the run's pods: unknown, no CRI socket; no image the run loaded (the node held them all)"},
	} {
		if got := leftOnNode(tc.pods, tc.podsErr, tc.added, tc.replaced, tc.cleanup, tc.imagesErr); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
