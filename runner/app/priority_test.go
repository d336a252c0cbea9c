package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/node-test/node-test/runner"
)

// TestIntegrationSpecsThatTookLongestStartFirst runs the real conformance
// binary's dry run over three areas of node-test's own specs and one [Slow]
// spec of upstream's, with a fixed seed. On a node's first run (no
// durations file yet) the [Slow] one starts first: node-test's reference
// list knows it takes 26 minutes; it stays first when the node knows other
// specs' durations but not its own: a spec said to take 200 s starts
// second; said to take 2,000 s, it starts first; and the node's own time of
// it comes before the list's: said to take 10 s, it is not first.
func TestIntegrationSpecsThatTookLongestStartFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs the conformance binary (make build)")
	}
	cfg := runner.NewDefaultConfig()
	cfg.BinDir = builtBinDir(t)
	const slow = `[sig-node] Pods should cap back-off at MaxContainerBackOff [NodeConformance] [Slow]`
	cfg.Focus = `\[sig-node\] (ImageConfig|PodNamespaces|ContainerStreams) |MaxContainerBackOff`
	cfg.TestArgs = "--ginkgo.seed=1"
	before, err := runner.ListSpecs(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 6 {
		t.Fatalf("the dry run selected %d specs of three areas and one more, want at least 6", len(before))
	}
	last := before[len(before)-1]
	if last.Text == slow {
		t.Fatalf("with seed 1 %q comes last: upstream starts its [Slow] specs first", slow)
	}
	file := filepath.Join(t.TempDir(), "durations.json")
	cfg.TestArgs += " --spec-durations=" + file
	for _, c := range []struct {
		durations map[string]float64 // nil: the file is not written yet
		want      []string
	}{
		{nil, []string{slow}},
		{map[string]float64{last.Text: 200}, []string{slow, last.Text}},
		{map[string]float64{last.Text: 2000}, []string{last.Text, slow}},
		{map[string]float64{last.Text: 200, slow: 10}, []string{last.Text}},
	} {
		if c.durations != nil {
			b, err := json.Marshal(c.durations)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		after, err := runner.ListSpecs(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Fatalf("durations %v changed the selection: %d specs, then %d", c.durations, len(before), len(after))
		}
		for i, want := range c.want {
			if after[i].Text != want {
				t.Errorf("durations %v: spec %d is %q, want %q", c.durations, i+1, after[i].Text, want)
			}
		}
	}
}
