package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/node-test/node-test/results"
)

// recorder is a phase that records its run and stop in a shared log.
type recorder struct {
	name string
	err  error
	log  *[]string
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Run(context.Context, *RunContext) error {
	*r.log = append(*r.log, "run "+r.name)
	return r.err
}
func (r *recorder) Stop(context.Context, *RunContext) error {
	*r.log = append(*r.log, "stop "+r.name)
	return nil
}

func testConfig(t *testing.T) *Config {
	cfg := NewDefaultConfig()
	cfg.ReportDir = t.TempDir()
	return cfg
}

func TestRunStopsStartedPhasesInReverseAndReportsTheFailure(t *testing.T) {
	var log []string
	cfg := testConfig(t)
	phases := []Phase{
		&recorder{name: "a", log: &log},
		&recorder{name: "b", log: &log, err: errors.New("kubelet gone")},
		&recorder{name: "c", log: &log},
	}
	var out bytes.Buffer
	err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler), &out, phases)
	if err == nil || !strings.Contains(err.Error(), "b: kubelet gone") || errors.Is(err, ErrSpecsFailed) {
		t.Fatalf("Run = %v, want the setup error of b", err)
	}
	if want := "FAIL: no spec ran; report in " + cfg.ReportDir + "\n"; out.String() != want {
		t.Errorf("Run printed %q, want %q", out.String(), want)
	}
	if got := strings.Join(log, ","); got != "run a,run b,stop b,stop a" {
		t.Errorf("order %s", got)
	}
	r, err := results.Load(cfg.ReportDir)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range r.Cases() {
		if c.Status == results.StatusFailed {
			failed = append(failed, c.Name+": "+c.Message)
		}
	}
	if len(failed) != 1 || failed[0] != "b: kubelet gone" {
		t.Errorf("JUnit failed cases %v, want b's setup failure", failed)
	}
}

// fakeGinkgo is a stand-in ginkgo CLI: it writes a one-spec report when
// interrupted, as ginkgo does, or after sleeping. Once it handles the
// interrupt it creates $FAKE_GINKGO_STARTED, when set.
const fakeGinkgo = `#!/bin/sh
dir=""
for a in "$@"; do case "$a" in --report-dir=*) dir=${a#--report-dir=} ;; esac; done
report() {
  cat > "$dir/junit_01.xml" <<XML
<testsuites><testsuite name="Node Conformance" tests="1"><testcase name="[It] spec one" classname="Node Conformance" status="$1"><error message="interrupted" type="interrupted"></error></testcase></testsuite></testsuites>
XML
  exit 1
}
trap 'report interrupted' INT
[ -z "$FAKE_GINKGO_STARTED" ] || : > "$FAKE_GINKGO_STARTED"
sleep 30 >/dev/null 2>&1 & wait
`

func TestInterruptedSpecsLeaveAReportAndTeardownRuns(t *testing.T) {
	var log []string
	cfg := testConfig(t)
	cfg.BinDir = t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg.BinDir, "ginkgo"), []byte(fakeGinkgo), 0o755); err != nil {
		t.Fatal(err)
	}
	// Interrupted once the specs run (the stand-in handles the interrupt):
	// on a loaded machine, a fixed delay may end the run before they start.
	started := filepath.Join(t.TempDir(), "started")
	t.Setenv("FAKE_GINKGO_STARTED", started)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	start := time.Now()
	var out bytes.Buffer
	err := Run(ctx, cfg, slog.New(slog.DiscardHandler), &out,
		[]Phase{&recorder{name: "control plane", log: &log}, &specsPhase{}})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run = %v, want interrupted", err)
	}
	if !strings.HasPrefix(out.String(), "FAIL: 0 passed, 1 failed, 0 skipped of 1 specs; report in ") {
		t.Errorf("Run printed %q, want the count of the one spec", out.String())
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the interrupt took %s: the specs did not stop", time.Since(start))
	}
	if got := strings.Join(log, ","); got != "run control plane,stop control plane" {
		t.Errorf("teardown did not run: %s", got)
	}
	r, err := results.Load(cfg.ReportDir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, c := range r.Cases() {
		names = append(names, c.Name+"="+string(c.Status))
	}
	got := strings.Join(names, " ")
	if !strings.Contains(got, "[It] spec one=failed") || !strings.Contains(got, "specs=failed") {
		t.Errorf("report after the interrupt: %s", got)
	}
}

func TestCountByArea(t *testing.T) {
	specs := []Spec{
		{Source: SourceCommon, Area: "[sig-node] Pods", Text: "[sig-node] Pods should get a host IP"},
		{Source: SourceE2ENode, Area: "[sig-node] MirrorPod", Text: "[sig-node] MirrorPod when create a mirror pod should be updated"},
		{Source: SourceNodeTest, Area: "[sig-node] MirrorPod", Text: "[sig-node] MirrorPod should create a mirror pod"},
		{Source: SourceCommon, Area: "[sig-node] Pods", Text: "[sig-node] Pods should be updated"},
	}
	got := CountByArea(specs)
	want := []AreaCount{
		{SourceCommon, "[sig-node] Pods", 2},
		{SourceE2ENode, "[sig-node] MirrorPod", 1},
		{SourceNodeTest, "[sig-node] MirrorPod", 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CountByArea = %v, want %v", got, want)
	}
	if got, want := CountBySource(specs), []AreaCount{{Source: SourceCommon, Count: 2}, {Source: SourceE2ENode, Count: 1}, {Source: SourceNodeTest, Count: 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("CountBySource = %v, want %v", got, want)
	}
	if got := CountByArea(nil); len(got) != 0 {
		t.Errorf("CountByArea(nil) = %v", got)
	}
}

func TestSourceOf(t *testing.T) {
	for pkg, want := range map[string]string{
		"k8s.io/kubernetes/test/e2e/common/node":              SourceCommon,
		"k8s.io/kubernetes/test/e2e/common/storage":           SourceCommon,
		"github.com/node-test/node-test/conformance/e2enode":  SourceE2ENode,
		"k8s.io/kubernetes/test/e2e_node":                     SourceE2ENode,
		"github.com/node-test/node-test/suites/node":          SourceNodeTest,
		"github.com/node-test/node-test/suites/container":     SourceNodeTest,
		"k8s.io/kubernetes/test/e2e/framework/node/something": "k8s.io/kubernetes/test/e2e/framework/node/something",
	} {
		if got := SourceOf(pkg); got != want {
			t.Errorf("SourceOf(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestImportPathOfATrimmedSourceFile(t *testing.T) {
	for file, want := range map[string]string{
		"k8s.io/kubernetes@v1.37.2/test/e2e/common/node/pods.go":   "k8s.io/kubernetes/test/e2e/common/node",
		"github.com/node-test/node-test/suites/node/mirror_pod.go": "github.com/node-test/node-test/suites/node",
		"example.com/m@v1.0.0/spec.go":                             "example.com/m",
	} {
		if got := importPath(file); got != want {
			t.Errorf("importPath(%q) = %q, want %q", file, got, want)
		}
	}
}

// selection is a phase that selects specs, as the preflight does.
type selection []Spec

func (selection) Name() string { return "preflight" }
func (s selection) Run(_ context.Context, rc *RunContext) error {
	rc.Specs = s
	return nil
}

// TestSpecsMissingFromTheReportFailTheRun runs a ginkgo that reports one
// of three selected specs, then one that exits 0 and writes no report: a
// selected spec the report lacks is a named failure, never a pass.
func TestSpecsMissingFromTheReportFailTheRun(t *testing.T) {
	sel := selection{{Text: "spec one"}, {Text: "spec two"}, {Text: "spec three"}}
	for _, tc := range []struct {
		name, ginkgo, headline string
		missing                []string
	}{
		{
			name: "one reported",
			ginkgo: `#!/bin/sh
for a in "$@"; do case "$a" in --report-dir=*) dir=${a#--report-dir=} ;; esac; done
echo '<testsuites><testsuite name="Node Conformance"><testcase name="[It] spec one" status="passed"></testcase></testsuite></testsuites>' > "$dir/junit_01.xml"
`,
			headline: "FAIL: 1 passed, 2 failed, 0 skipped of 3 specs",
			missing:  []string{"spec two", "spec three"},
		},
		{
			name:     "no report, exit code 0",
			ginkgo:   "#!/bin/sh\nexit 0\n",
			headline: "FAIL: 0 passed, 3 failed, 0 skipped of 3 specs",
			missing:  []string{"spec one", "spec two", "spec three"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.BinDir = t.TempDir()
			if err := os.WriteFile(filepath.Join(cfg.BinDir, "ginkgo"), []byte(tc.ginkgo), 0o755); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler), &out, []Phase{sel, &specsPhase{}})
			if !errors.Is(err, ErrSpecsFailed) {
				t.Errorf("Run = %v, want ErrSpecsFailed", err)
			}
			if !strings.HasPrefix(out.String(), tc.headline+";") {
				t.Errorf("Run printed %q, want %q", out.String(), tc.headline)
			}
			r, err := results.Load(cfg.ReportDir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range r.Cases() {
				if c.Status == results.StatusFailed && strings.Contains(c.Message, "selected but not reported") {
					got = append(got, strings.TrimPrefix(c.Name, "[It] "))
				}
			}
			if !slices.Equal(got, tc.missing) {
				t.Errorf("specs reported missing %v, want %v", got, tc.missing)
			}
		})
	}
}

// panicker is a phase whose Run or Stop panics.
type panicker struct{ inStop bool }

func (p panicker) Name() string { return "panicking" }
func (p panicker) Run(context.Context, *RunContext) error {
	if !p.inStop {
		panic("nil map in the phase")
	}
	return nil
}
func (p panicker) Stop(context.Context, *RunContext) error {
	if p.inStop {
		panic("nil map in the teardown")
	}
	return nil
}

// TestAPanicInAPhaseStillTearsDownAndReports: a phase that panics, in Run
// or in Stop, fails with the panic's value; the phases started before it
// still stop, and the JUnit says what happened.
func TestAPanicInAPhaseStillTearsDownAndReports(t *testing.T) {
	for _, inStop := range []bool{false, true} {
		var log []string
		cfg := testConfig(t)
		var out bytes.Buffer
		err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler), &out,
			[]Phase{&recorder{name: "control plane", log: &log}, panicker{inStop: inStop}})
		if err == nil || !strings.Contains(err.Error(), "panic: nil map in the") {
			t.Errorf("in stop %v: Run = %v, want the panic as the error", inStop, err)
		}
		if got := strings.Join(log, ","); got != "run control plane,stop control plane" {
			t.Errorf("in stop %v: teardown did not run: %s", inStop, got)
		}
		r, lerr := results.Load(cfg.ReportDir)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if !inStop {
			var msg string
			for _, c := range r.Cases() {
				if c.Name == "panicking" && c.Status == results.StatusFailed {
					msg = c.Message
				}
			}
			if !strings.Contains(msg, "panic: nil map in the phase") || !strings.Contains(msg, "goroutine") {
				t.Errorf("the JUnit's failure of the panicking phase %q lacks the panic and its stack", msg)
			}
		}
	}
}

// TestRunOfSpecsNotRunBecauseOfTheSetupIsIncomplete: a spec run whose only
// skip is one node-test's setup caused ends as INCOMPLETE, an error the
// exit code policy counts with failures, not as a pass.
func TestRunOfSpecsNotRunBecauseOfTheSetupIsIncomplete(t *testing.T) {
	cfg := testConfig(t)
	cfg.BinDir = t.TempDir()
	ginkgo := `#!/bin/sh
for a in "$@"; do case "$a" in --report-dir=*) dir=${a#--report-dir=} ;; esac; done
cat > "$dir/junit_01.xml" <<'XML'
<testsuites><testsuite name="Node Conformance">
<testcase name="[It] spec one" status="passed"></testcase>
<testcase name="[It] spec two" status="skipped"><skipped message="` + results.NotRunMarker + ` the kubelet refuses the control plane; fix: give a client certificate"></skipped></testcase>
</testsuite></testsuites>
XML
`
	if err := os.WriteFile(filepath.Join(cfg.BinDir, "ginkgo"), []byte(ginkgo), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler), &out, []Phase{selection{{Text: "spec one"}, {Text: "spec two"}}, &specsPhase{}})
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("Run = %v, want ErrIncomplete", err)
	}
	if want := "INCOMPLETE: 1 passed, 0 failed, 1 skipped (1 of them not run because of node-test's setup) of 2 specs;"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("Run printed %q, want %q", out.String(), want)
	}
}

// slowToStop is a phase that runs until the run is interrupted, then takes
// its time to stop, as ginkgo does running the specs' cleanup; its Stop
// waits on the teardown's context for as long as it is given.
type slowToStop struct {
	stopping time.Duration
	stopped  chan string
}

func (s *slowToStop) Name() string { return "specs" }
func (s *slowToStop) Run(ctx context.Context, _ *RunContext) error {
	<-ctx.Done()
	time.Sleep(s.stopping)
	return context.Cause(ctx)
}
func (s *slowToStop) Stop(ctx context.Context, _ *RunContext) error {
	select {
	case <-ctx.Done():
		s.stopped <- "cut short"
	case <-time.After(time.Minute):
		s.stopped <- "finished"
	}
	return nil
}

// TestAnInterruptWritesTheReportAtOnce interrupts a run whose specs take
// five seconds to stop: within two seconds the report directory holds a
// JUnit and a summary saying the run was interrupted, with the selected
// specs not reported; a second interrupt cuts the teardown short.
func TestAnInterruptWritesTheReportAtOnce(t *testing.T) {
	cfg := testConfig(t)
	phase := &slowToStop{stopping: 5 * time.Second, stopped: make(chan string, 1)}
	ctx, interrupt := context.WithCancelCause(context.Background())
	abort, abortNow := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(WithAbort(ctx, abort), cfg, slog.New(slog.DiscardHandler), io.Discard,
			[]Phase{selection{{Text: "spec one"}, {Text: "spec two"}}, phase})
	}()
	time.Sleep(300 * time.Millisecond)
	interrupted := time.Now()
	interrupt(errors.New("interrupted by terminated"))

	var names []string
	for time.Since(interrupted) < 2*time.Second && len(names) == 0 {
		time.Sleep(100 * time.Millisecond)
		if r, err := results.Load(cfg.ReportDir); err == nil {
			for _, c := range r.Cases() {
				names = append(names, c.Name+"="+string(c.Status))
			}
		}
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"interrupted=failed", "[It] spec one=failed", "[It] spec two=failed"} {
		if !strings.Contains(got, want) {
			t.Errorf("2 s after the interrupt, the JUnit holds %q, want %q", got, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(cfg.ReportDir, results.SummaryFile)); err != nil || !strings.HasPrefix(string(b), "FAIL: 0 passed, 2 failed") {
		t.Errorf("2 s after the interrupt, summary.txt: %q, %v", b, err)
	}

	// The specs stop 5 s after the interrupt; the teardown then waits, until
	// the second interrupt.
	time.Sleep(6 * time.Second)
	abortNow()
	select {
	case how := <-phase.stopped:
		if how != "cut short" {
			t.Errorf("the teardown %s, want it cut short by the second interrupt", how)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the teardown did not end after the second interrupt")
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "interrupted by terminated") {
		t.Errorf("Run = %v, want the interrupt", err)
	}
}
