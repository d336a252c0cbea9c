// Package results owns what a run produces: the JUnit report (written from
// the Ginkgo report of the conformance binary, and read back into one
// canonical model with fixed statuses), testcases the runner adds for its
// own setup and checks, the summary, and the layout of the report directory
// (/var/result by default).
//
// It does not run anything: the runner and the conformance binary call it.
package results
