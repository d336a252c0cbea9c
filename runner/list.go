package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// ListSpecs returns the full text of every spec the configuration selects,
// from a Ginkgo dry run of the conformance binary.
func ListSpecs(ctx context.Context, cfg *Config) ([]string, error) {
	dir, err := os.MkdirTemp("", "node-test-list-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "report.json")
	args := []string{
		"--ginkgo.dry-run", "--ginkgo.no-color", "--ginkgo.json-report=" + report,
		"--ginkgo.focus=" + cfg.Focus, "--ginkgo.skip=" + cfg.Skip,
		// The suite runs only against a named API server; a dry run never calls it.
		"--host=http://127.0.0.1:0",
	}
	cmd := exec.CommandContext(ctx, filepath.Join(cfg.BinDir, "conformance.test"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dry run of %s: %w: %s", cmd.Path, err, lastLines(out.String(), 20))
	}
	b, err := os.ReadFile(report)
	if err != nil {
		return nil, fmt.Errorf("read dry-run report: %w", err)
	}
	var reports []types.Report
	if err := json.Unmarshal(b, &reports); err != nil {
		return nil, fmt.Errorf("parse dry-run report: %w", err)
	}
	var specs []string
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt && s.State == types.SpecStatePassed {
				specs = append(specs, s.FullText())
			}
		}
	}
	return specs, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
