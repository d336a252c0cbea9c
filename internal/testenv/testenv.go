// Package testenv decides, for node-test's tests, what a missing piece of
// the machine means: a skip on a developer's machine, a failure in CI.
//
// A test that needs something the machine may lack (root, Docker, apt,
// journald, a kernel feature) calls Missing instead of t.Skip: with
// NODE_TEST_CI=1, as .ci/run sets it, the test fails, so that CI never
// passes a test it did not run. It owns nothing else.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// CIVariable is the environment variable under which a missing piece of
// the machine fails a test instead of skipping it.
const CIVariable = "NODE_TEST_CI"

// Missing skips the test, saying what the machine lacks, or fails it when
// CIVariable is 1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv(CIVariable) == "1" {
		t.Fatalf("%s (%s=1: CI runs every test, none is skipped for what the machine lacks)", why, CIVariable)
	}
	t.Skip(why)
}
