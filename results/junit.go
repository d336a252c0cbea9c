package results

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// JUnitFile is the name of the run's JUnit report in the report directory,
// the name upstream's node-test image writes.
const JUnitFile = "junit_01.xml"

// WriteJUnit writes report as dir/junit_01.xml, compactly: one testcase per
// selected spec (specs the focus and skip patterns left out are not listed),
// the timelines of passed and skipped specs left out (they make reports too
// large for the tools that read them), specs sorted by their full text.
func WriteJUnit(report ginkgo.Report, dir string) error {
	report.SpecReports = slices.DeleteFunc(slices.Clone(report.SpecReports), notSelected)
	slices.SortStableFunc(report.SpecReports, func(a, b types.SpecReport) int {
		return strings.Compare(a.FullText(), b.FullText())
	})
	return reporters.GenerateJUnitReportWithConfig(report, filepath.Join(dir, JUnitFile), reporters.JunitReportConfig{
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped,
		OmitFailureMessageAttr:    true,
		OmitSpecLabels:            true,
		// A spec's name is its text, as the selection names it: a version
		// constraint (upstream's KubeletMinVersion) appended would make it
		// another spec's.
		OmitSpecSemVerConstraints:          true,
		OmitSpecComponentSemVerConstraints: true,
	})
}

// notSelected reports whether a spec was skipped because the selection left
// it out, rather than by the spec itself (Skip with a reason).
func notSelected(s types.SpecReport) bool {
	return s.State == types.SpecStateSkipped && s.Failure.Message == ""
}
