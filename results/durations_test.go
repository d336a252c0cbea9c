package results

import "testing"

// The reference list knows the longest spec of the default selection, and
// a node's own durations take precedence over it.
func TestReferenceDurations(t *testing.T) {
	const longest = "[sig-node] Pods should cap back-off at MaxContainerBackOff [NodeConformance] [Slow]"
	ref := ReferenceDurations()
	if ref[longest] < 1200 || len(ref) < 100 {
		t.Fatalf("reference: %d specs, %s %v s", len(ref), longest, ref[longest])
	}
	got := WithReference(map[string]float64{longest: 10, "a spec of this node": 3})
	if got[longest] != 10 || got["a spec of this node"] != 3 || len(got) != len(ref)+1 {
		t.Errorf("WithReference: %v, %v, %d", got[longest], got["a spec of this node"], len(got))
	}
}
