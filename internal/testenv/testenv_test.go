package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingFailsInCI runs a test that calls Missing in a child process,
// with and without NODE_TEST_CI=1: it fails in CI and skips elsewhere.
func TestMissingFailsInCI(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Missing(t, "no Docker engine on this machine")
		return
	}
	for ci, want := range map[string]string{"1": "--- FAIL", "": "--- SKIP"} {
		cmd := exec.Command(os.Args[0], "-test.run=TestMissingFailsInCI", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", CIVariable+"="+ci)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), want) || !strings.Contains(string(out), "no Docker engine") {
			t.Errorf("%s=%q: want %q and the reason:\n%s", CIVariable, ci, want, out)
		}
	}
}
