package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/node-test/node-test/runner"
)

// TestIntegrationSpecsThatTookLongestStartFirst runs the real conformance
// binary's dry run over three areas of node-test's own specs, in the order
// Ginkgo gives them with a fixed seed; then, with a durations file that
// says the last of them took 1,000 s, that spec runs first.
func TestIntegrationSpecsThatTookLongestStartFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs the conformance binary (make build)")
	}
	cfg := runner.NewDefaultConfig()
	cfg.BinDir = builtBinDir(t)
	cfg.Focus = `\[sig-node\] (ImageConfig|PodNamespaces|ContainerStreams) `
	cfg.TestArgs = "--ginkgo.seed=1"
	before, err := runner.ListSpecs(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 6 {
		t.Fatalf("the dry run selected %d specs of three areas, want at least 6", len(before))
	}
	last := before[len(before)-1]
	file := filepath.Join(t.TempDir(), "durations.json")
	b, err := json.Marshal(map[string]float64{last.Text: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.TestArgs += " --spec-durations=" + file
	after, err := runner.ListSpecs(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("the durations changed the selection: %d specs, then %d", len(before), len(after))
	}
	if after[0].Text != last.Text {
		t.Errorf("%q took 1000 s when it last ran, yet %q starts first", last.Text, after[0].Text)
	}
}
