// Package app is node-test's command line: the cobra commands (run, list,
// validate, images, controlplane, version), Main, which maps errors to the
// exit codes of results, and Run, which the tests call instead of a process.
//
// Main is the only function that decides an exit code; only cmd/node-test
// exits.
package app
