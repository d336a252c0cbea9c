package framework

import (
	"github.com/onsi/ginkgo/v2"

	"github.com/node-test/node-test/results"
)

// SkipNotRun skips the current spec because node-test's setup keeps it from
// running — not because the node lacks what it checks — saying why and how
// to fix the setup. The run's verdict is then INCOMPLETE, not PASS: a skip
// of a spec that applies to the node certifies nothing. A spec that does not
// apply to the node (a feature it does not have) calls ginkgo.Skip.
func SkipNotRun(why, fix string) {
	ginkgo.GinkgoHelper()
	ginkgo.Skip(results.NotRunMarker + " " + why + "; fix: " + fix)
}
