package results

import (
	_ "embed"
	"encoding/json"
)

//go:embed reference-durations.json
var referenceDurations []byte

// ReferenceDurations are the seconds each spec of 20 s or more took on
// node-test's reference node (2 cores, containerd 1.6, kubelet v1.37.2, the
// default selection at PARALLELISM=24), by full text: the list node-test
// keeps, which orders the specs and estimates the ETA of a run on a node
// where they never ran; the node's own durations take precedence.
func ReferenceDurations() map[string]float64 {
	m := map[string]float64{}
	if err := json.Unmarshal(referenceDurations, &m); err != nil {
		panic("results: reference-durations.json: " + err.Error())
	}
	return m
}

// WithReference returns known completed by the reference durations of the
// specs it does not know.
func WithReference(known map[string]float64) map[string]float64 {
	out := ReferenceDurations()
	for k, v := range known {
		out[k] = v
	}
	return out
}
