package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/host"
	"github.com/node-test/node-test/runner/validate"
)

// runValidate runs node-test validate in process (the root command's
// registration aside) and returns its exit code, output and error.
func runValidate(t *testing.T, args ...string) (int, string, error) {
	t.Helper()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	cmd := newValidateCommand(logger, Streams{In: strings.NewReader(""), Out: &out, Err: &out})
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return exitCode(err, &out), out.String(), err
}

func TestValidateRefusesARootfsThatIsNotOne(t *testing.T) {
	code, out, err := runValidate(t, "--rootfs", t.TempDir())
	if code != ExitSetup || !errors.Is(err, host.ErrNotRootfs) {
		t.Fatalf("exit code %d (%v), want %d with host.ErrNotRootfs:\n%s", code, err, ExitSetup, out)
	}
	if !strings.Contains(out, "not a root filesystem") || !strings.Contains(out, "-v /:/rootfs") {
		t.Errorf("the output does not say what is wrong and how to fix it:\n%s", out)
	}
}

func TestValidateReportsEachCheckAndFails(t *testing.T) {
	root, reportDir := t.TempDir(), filepath.Join(t.TempDir(), "report")
	for _, d := range []string{"etc", "usr", "proc"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code, out, err := runValidate(t, "--rootfs", root, "--report-dir", reportDir)
	if code != ExitFailures || !errors.Is(err, validate.ErrChecksFailed) {
		t.Fatalf("exit code %d (%v), want %d with validate.ErrChecksFailed:\n%s", code, err, ExitFailures, out)
	}
	for _, line := range []string{
		"FAIL [kubelet] process: no kubelet process found",
		"N/A  [kubelet] max pods: no kubelet process found",
		"N/A  [kubelet] control plane access to the kubelet: no kubelet process found",
		"FAIL [runtime] container runtime: no container runtime socket found",
		"FAIL [system] kernel config: ",
	} {
		if !strings.Contains(out, "\n"+line) {
			t.Errorf("the output lacks the line %q:\n%s", line, out)
		}
	}
	r, err := results.Load(reportDir)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]results.Case{}
	for _, c := range r.Cases() {
		cases[c.Name] = c
	}
	if c := cases["[kubelet] process"]; c.Status != results.StatusFailed || !strings.Contains(c.Message, "— fix: start the kubelet") {
		t.Errorf("[kubelet] process in the JUnit: %+v", c)
	}
	if c := cases["[pki] client certificate"]; c.Status != results.StatusSkipped || !strings.Contains(c.Message, "not applicable: no kubelet process found") {
		t.Errorf("[pki] client certificate in the JUnit: %+v", c)
	}
	if len(cases) != 15 {
		t.Errorf("the JUnit has %d cases, want 15: %v", len(cases), cases)
	}
	sum, err := os.ReadFile(filepath.Join(reportDir, "summary.txt"))
	if err != nil || !strings.HasPrefix(string(sum), "FAIL: 0 passed, 6 failed, 9 skipped of 15 checks\nnode-test  ") {
		t.Errorf("summary.txt: %q, %v", sum, err)
	}
}

func TestIntegrationValidateLocalNodeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up)")
	}
	code, out, err := runValidate(t, "--rootfs", "/")
	t.Log(out)
	if code != ExitOK {
		t.Fatalf("validate on the local node: exit code %d, %v", code, err)
	}
}
