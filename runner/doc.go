// Package runner owns how a node-test run happens: its configuration (flags
// over environment over defaults, one struct with Validate) and the run as a
// list of phases that are stopped in reverse order on every path.
//
// It does not hold specs: those live in suites/ and meet the runner only
// through the compiled conformance.test binary and its flags. Host access
// goes through runner/host, the control plane through runner/controlplane.
package runner
