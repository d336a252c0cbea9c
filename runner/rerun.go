package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/node-test/node-test/results"
)

// ErrNothingToRerun means --rerun-failed found no report, or one with no
// failed spec.
var ErrNothingToRerun = errors.New("nothing to run again")

// RerunSelection returns the FOCUS that selects exactly the specs that
// failed in the report of dir (their full names, anchored: no other spec
// matches), and what the run re-runs, for its summary.
func RerunSelection(dir string) (focus string, of string, err error) {
	report, err := results.LoadFile(filepath.Join(dir, results.JUnitFile))
	if err != nil {
		return "", "", fmt.Errorf("%w: no report to re-run in %s (%v): run node-test first, or give the report directory of the run to re-run (--rerun-failed=DIR)",
			ErrNothingToRerun, dir, err)
	}
	var names []string
	for _, c := range report.Cases() {
		text, isSpec := strings.CutPrefix(c.Name, "[It] ")
		if isSpec && c.Status == results.StatusFailed && c.Suite != results.SetupSuite && c.Suite != results.ValidationSuite {
			names = append(names, regexp.QuoteMeta(text))
		}
	}
	if len(names) == 0 {
		return "", "", fmt.Errorf("%w: no spec failed in the report of %s: leave out --rerun-failed (RERUN_FAILED) to run the selection", ErrNothingToRerun, dir)
	}
	of = fmt.Sprintf("the %d failed specs of the run reported in %s", len(names), dir)
	if b, err := os.ReadFile(filepath.Join(dir, results.SummaryJSONFile)); err == nil {
		var sum results.Summary
		if json.Unmarshal(b, &sum) == nil && !sum.About.Started.IsZero() {
			of += ", started " + sum.About.Started.UTC().Format("2006-01-02T15:04:05Z")
		}
	}
	// Ginkgo matches FOCUS against the suite's description, a space and
	// the spec's full text.
	return "^" + regexp.QuoteMeta(results.SpecSuite+" ") + "(" + strings.Join(names, "|") + ")$", of, nil
}
