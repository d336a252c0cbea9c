package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Spec is one spec a selection runs.
type Spec struct {
	// Area is the text of its top-level container: "[sig-node] MirrorPod".
	Area string
	// Text is its full text, as FOCUS and SKIP match it.
	Text string
	// Package is the import path of the package declaring it.
	Package string
	// Source is where the spec comes from: SourceCommon, SourceE2ENode or
	// SourceNodeTest.
	Source string
}

// The sources of the linked specs.
const (
	// SourceCommon is upstream's importable specs, test/e2e/common.
	SourceCommon = "common"
	// SourceE2ENode is upstream's node suite, test/e2e_node, linked as
	// conformance/e2enode.
	SourceE2ENode = "e2e_node"
	// SourceNodeTest is node-test's own specs, suites/.
	SourceNodeTest = "node-test"
)

// SourceOf returns the source of the specs of a package.
func SourceOf(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, "github.com/node-test/node-test/suites/"):
		return SourceNodeTest
	case pkg == "github.com/node-test/node-test/conformance/e2enode", strings.HasPrefix(pkg, "k8s.io/kubernetes/test/e2e_node"):
		return SourceE2ENode
	case strings.HasPrefix(pkg, "k8s.io/kubernetes/test/e2e/common"):
		return SourceCommon
	}
	return pkg
}

// AreaCount is how many selected specs an area of a source has.
type AreaCount struct {
	Source string
	Area   string
	Count  int
}

// CountByArea counts specs per source and area, sorted by source, then
// area.
func CountByArea(specs []Spec) []AreaCount {
	type key struct{ source, area string }
	counts := map[key]int{}
	for _, s := range specs {
		counts[key{s.Source, s.Area}]++
	}
	var out []AreaCount
	for k, n := range counts {
		out = append(out, AreaCount{Source: k.source, Area: k.area, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Area < out[j].Area
	})
	return out
}

// CountBySource counts specs per source, sorted by source.
func CountBySource(specs []Spec) []AreaCount {
	counts := map[string]int{}
	for _, s := range specs {
		counts[s.Source]++
	}
	var out []AreaCount
	for src, n := range counts {
		out = append(out, AreaCount{Source: src, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// ListSpecs returns every spec the configuration selects, from a Ginkgo dry
// run of the conformance binary with TEST_ARGS: a flag of TEST_ARGS the
// binary does not take fails it.
func ListSpecs(ctx context.Context, cfg *Config) ([]Spec, error) {
	dir, err := os.MkdirTemp("", "node-test-list-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "report.json")
	args := []string{
		"--ginkgo.dry-run", "--ginkgo.no-color", "--ginkgo.json-report=" + report,
		"--ginkgo.focus=" + cfg.Focus, "--ginkgo.skip=" + cfg.Skip, "--ginkgo.label-filter=" + cfg.LabelFilter,
		// The suite runs only against a named API server; a dry run never calls it.
		"--host=http://127.0.0.1:0",
	}
	args = append(args, strings.Fields(cfg.TestArgs)...)
	cmd := exec.CommandContext(ctx, filepath.Join(cfg.BinDir, "conformance.test"), args...)
	cmd.Env = specEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if m := undefinedFlag.FindStringSubmatch(out.String()); m != nil {
			return nil, fmt.Errorf("TEST_ARGS %q: the conformance binary has no flag -%s: remove it (conformance.test --help lists the flags it takes; those of upstream's e2e_node.test, such as --system-spec-name, do not apply)",
				cfg.TestArgs, m[1])
		}
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
	var specs []Spec
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt && s.State == types.SpecStatePassed {
				spec := Spec{Text: s.FullText(), Package: importPath(s.LeafNodeLocation.FileName)}
				if len(s.ContainerHierarchyTexts) > 0 {
					spec.Area = s.ContainerHierarchyTexts[0]
				}
				// Where its top-level container is declared says where it
				// comes from: a spec's It may be in a helper of another package.
				top := spec.Package
				if len(s.ContainerHierarchyLocations) > 0 {
					top = importPath(s.ContainerHierarchyLocations[0].FileName)
				}
				spec.Source = SourceOf(top)
				specs = append(specs, spec)
			}
		}
	}
	return specs, nil
}

// undefinedFlag is how Go's flag package refuses a flag it does not know.
var undefinedFlag = regexp.MustCompile(`flag provided but not defined: -+([^\s]+)`)

// importPath is the import path of the package of a source file as a
// binary built with -trimpath names it: <module>@<version>/<dir>/<file>.go
// for a dependency, <module>/<dir>/<file>.go for the main module.
func importPath(file string) string {
	dir := path.Dir(file)
	if at := strings.Index(dir, "@"); at >= 0 {
		rest := dir[at:]
		if slash := strings.Index(rest, "/"); slash >= 0 {
			return dir[:at] + rest[slash:]
		}
		return dir[:at]
	}
	return dir
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
