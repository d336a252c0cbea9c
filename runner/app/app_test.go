package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/validate"
)

// run runs node-test in process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	err := Run(context.Background(), logger, Streams{In: strings.NewReader(""), Out: &out, Err: &out}, args)
	code := exitCode(err, &out)
	return code, out.String()
}

// setupFailure returns the message of the failed setup testcase name in
// dir's junit_01.xml.
func setupFailure(t *testing.T, dir, name string) string {
	t.Helper()
	r, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Cases() {
		if c.Name == name && c.Status == results.StatusFailed {
			return c.Message
		}
	}
	t.Fatalf("junit_01.xml in %s has no failed setup testcase %q: %+v", dir, name, r.Cases())
	return ""
}

// fakeBinDir holds stand-ins of the test binaries, for runs that stop
// before the specs: its conformance.test lists one spec in a dry run, as
// the real one writes its JSON report, and refuses any flag of TEST_ARGS,
// as Go's flag package does.
func fakeBinDir(t *testing.T) string {
	dir := t.TempDir()
	report, err := json.Marshal([]types.Report{{SpecReports: types.SpecReports{{
		LeafNodeType: types.NodeTypeIt, State: types.SpecStatePassed, LeafNodeText: "runs",
		ContainerHierarchyTexts: []string{"[sig-node] Fake"},
		LeafNodeLocation:        types.NewCodeLocationWithStackTrace(0),
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
for a in "$@"; do
  case "$a" in
    --ginkgo.json-report=*) report=${a#--ginkgo.json-report=} ;;
    --ginkgo.*|--host=*) ;;
    *) echo "flag provided but not defined: -${a#--}" >&2; exit 2 ;;
  esac
done
cat > "$report" <<'JSON'
` + string(report) + `
JSON
`
	for b, content := range map[string]string{"conformance.test": script, "ginkgo": ""} {
		if err := os.WriteFile(filepath.Join(dir, b), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// builtBinDir is _output/bin, where make build leaves the test binaries.
func builtBinDir(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs("../../_output/bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(bin, "conformance.test")); err != nil {
		t.Fatalf("the test binaries are not built: make build: %v", err)
	}
	return bin
}

// TestIntegrationRunRefusesBadSelectionsBeforeAnythingStarts runs the real
// conformance binary's dry run: a FOCUS that selects nothing, and a TEST_ARGS
// flag of upstream's e2e_node.test, stop the run at the preflight.
func TestIntegrationRunRefusesBadSelectionsBeforeAnythingStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the test binaries (make build)")
	}
	bin := builtBinDir(t)
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"no spec":       {[]string{"--focus", `\[NoSuchTag\]`}, []string{`FOCUS "\\[NoSuchTag\\]" and SKIP`, "select no spec", "node-test list"}},
		"e2e_node flag": {[]string{"--test-args", "--system-spec-name=gke --v=2"}, []string{"has no flag -system-spec-name", "remove it"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			code, out := run(t, append([]string{"run", "--rootfs", "/", "--report-dir", dir, "--bin-dir", bin,
				"--api-address", "127.0.0.1:0", "--secure-port", "0"}, tc.args...)...)
			if code != ExitSetup {
				t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, out)
			}
			msg := setupFailure(t, dir, "preflight")
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("the preflight failure %q does not say %q", msg, want)
				}
			}
			if strings.Contains(out, "control plane") {
				t.Errorf("the control plane started:\n%s", out)
			}
			t.Logf("refused in %s", time.Since(start).Round(time.Millisecond))
		})
	}
}

func TestRunRefusesAnInvalidFocusBeforeAnythingStarts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FOCUS", `[Conformance`)
	t.Setenv("REPORT_PATH", dir)
	code, out := run(t, "run", "--rootfs", "/nonexistent")
	if code != ExitSetup {
		t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, out)
	}
	if !strings.Contains(out, "FOCUS (--focus) is not a valid regular expression") {
		t.Errorf("the message does not name FOCUS:\n%s", out)
	}
	if msg := setupFailure(t, dir, "configuration"); !strings.Contains(msg, "FOCUS") {
		t.Errorf("the JUnit does not say why: %q", msg)
	}
}

func TestRunRefusesAnUnwritableReportDir(t *testing.T) {
	code, out := run(t, "run", "--report-dir", "/proc/node-test-results", "--rootfs", "/")
	if code != ExitSetup || !strings.Contains(out, "REPORT_PATH /proc/node-test-results cannot be created") ||
		!strings.Contains(out, "-v $LOG_DIR:/proc/node-test-results") {
		t.Fatalf("exit code %d, want %d naming REPORT_PATH and the fix:\n%s", code, ExitSetup, out)
	}
}

func TestRunRefusesARootfsThatIsNotOne(t *testing.T) {
	dir, notRoot := t.TempDir(), t.TempDir()
	code, out := run(t, "run", "--report-dir", dir, "--rootfs", notRoot, "--bin-dir", fakeBinDir(t))
	if code != ExitSetup {
		t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, out)
	}
	msg := setupFailure(t, dir, "preflight")
	if !strings.Contains(msg, "not a root filesystem") || !strings.Contains(msg, "-v /:/rootfs") {
		t.Errorf("preflight failure %q does not say what is wrong and how to fix it", msg)
	}
}

func TestVersionNamesThePinnedKubernetes(t *testing.T) {
	code, out := run(t, "version")
	if code != ExitOK || !strings.Contains(out, "node-test ") || !strings.Contains(out, "kubernetes v1.37.2") {
		t.Fatalf("version: %d %s", code, out)
	}
}

func TestKubernetesVersionIsTheOneGoModPins(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\tk8s.io/kubernetes "+runner.KubernetesVersion+"\n") {
		t.Errorf("go.mod does not require k8s.io/kubernetes %s: update runner.KubernetesVersion", runner.KubernetesVersion)
	}
}

// TestIntegrationRunWhenTheNodeNeverBecomesReady runs against the local node
// with the control plane on a port its kubelet does not use: the Node never
// shows a live kubelet, the run stops with exit code 2 and a JUnit saying
// what to check.
func TestIntegrationRunWhenTheNodeNeverBecomesReady(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up)")
	}
	dir := t.TempDir()
	start := time.Now()
	code, out := run(t, "run", "--rootfs", "/", "--report-dir", dir, "--bin-dir", fakeBinDir(t),
		"--api-address", "127.0.0.1:0", "--secure-port", "0", "--node-timeout", "20s")
	if code != ExitSetup {
		t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, out)
	}
	if took := time.Since(start); took > 2*time.Minute {
		t.Errorf("the run took %s: the node timeout was 20s", took)
	}
	msg := setupFailure(t, dir, "wait for node")
	for _, want := range []string{"node not ready after 20s", "kubeconfig's server is http://localhost:8080", "--cloud-provider"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the JUnit's wait-for-node failure %q does not say %q", msg, want)
		}
	}
}

func TestExitCodePolicy(t *testing.T) {
	for err, want := range map[error]int{
		nil: ExitOK,
		fmt.Errorf("specs: 3 of 27 specs failed: %w", runner.ErrSpecsFailed):          ExitFailures,
		fmt.Errorf("validate: %w", validate.ErrChecksFailed):                          ExitFailures,
		fmt.Errorf("wait for node: %w", runner.ErrNodeNotReady):                       ExitSetup,
		errors.Join(errors.New("stop control plane: timeout"), runner.ErrSpecsFailed): ExitFailures,
		fmt.Errorf("2 selected specs were not run: %w", runner.ErrIncomplete):         ExitFailures,
	} {
		if got := exitCode(err, io.Discard); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

// TestRunNeverWritesOverFilesItDidNotWrite runs into a directory holding
// what /var/log holds (kubelet.log, kern.log, another tool's junit_01.xml),
// with a valid and an invalid configuration: both stop with exit code 2,
// naming the files and the fix, and leave every file as it was.
func TestRunNeverWritesOverFilesItDidNotWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"valid configuration", []string{"--rootfs", "/nonexistent", "--bin-dir", fakeBinDir(t)}},
		{"refused configuration", []string{"--rootfs", "/nonexistent", "--parallelism", "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"kubelet.log": "the host's kubelet log\n", "kern.log": "the host's kernel log\n", "junit_01.xml": "<another tool's report/>\n"}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out := run(t, append([]string{"run", "--report-dir", dir}, tc.args...)...)
			if code != ExitSetup {
				t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, out)
			}
			for _, want := range []string{"did not write", "junit_01.xml", "kubelet.log", "kern.log", "another REPORT_PATH"} {
				if !strings.Contains(out, want) {
					t.Errorf("the output does not say %q:\n%s", want, out)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(files) {
				t.Errorf("the directory holds %d entries after the run, want the %d it held", len(entries), len(files))
			}
			for name, content := range files {
				if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
					t.Errorf("%s changed: %q, %v", name, b, err)
				}
			}
		})
	}
}
