// Package priority starts the specs that take longest first, so that a
// parallel run ends near its floor (its longest spec) rather than with one
// long spec started last. It owns the --spec-durations flag of the
// conformance binary: a JSON object of each spec's full text and the
// seconds it took when it last ran on the node (the runner keeps it), read
// when Ginkgo builds the spec tree (a file not written yet knows none), and
// completed by the list node-test keeps (results.ReferenceDurations) for
// the specs the node never ran. Each It gets a ginkgo.SpecPriority of its
// known seconds, or for a spec known to neither, SlowSeconds if upstream
// tagged it [Slow] and DefaultSeconds if not;
// Ginkgo runs higher priorities first, spec by spec as upstream's framework
// has it order every spec on its own (RandomizeAllSpecs). Without the flag
// nothing changes.
//
// It imports only Ginkgo and node-test's results (which import no e2e
// code), so that it is initialised before the e2e framework: its
// transformer is then registered first, and Ginkgo, which calls the most
// recently registered first, gives it the spec texts the framework has
// completed (tags included), as the reports name them.
package priority
