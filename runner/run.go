package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/host"
)

// ErrSpecsFailed means the run completed and some selected specs or checks
// failed: the node is not conformant.
var ErrSpecsFailed = errors.New("specs failed")

// ErrIncomplete means nothing failed, but node-test's setup kept some
// selected specs from running: the node is not certified on them.
var ErrIncomplete = errors.New("incomplete")

// Phase is one step of a run.
type Phase interface {
	Name() string
	Run(ctx context.Context, rc *RunContext) error
}

// Stopper is a phase that has something to undo once the run ends, on every
// path: success, failure or interrupt.
type Stopper interface {
	Stop(ctx context.Context, rc *RunContext) error
}

// RunContext is what the phases of a run share.
type RunContext struct {
	Config *Config
	Logger *slog.Logger
	Out    io.Writer

	// Host is the host under test, seen through Config.Rootfs.
	Host *host.Host
	// Report collects the runner's own testcases (setup steps, checks).
	Report *results.Report
	// APIURL is the API server's URL (the local endpoint, or the cluster's),
	// Client a client of it; TokenFile the bearer token a client presents to
	// it, if it needs one (in a cluster).
	APIURL    string
	TokenFile string
	Client    kubernetes.Interface
	// Specs are the selected specs, listed by the preflight.
	Specs []Spec
	// Runtime is the node's container runtime, found by the preflight.
	Runtime host.Runtime
	// NodeName is the node under test once it is known.
	NodeName string
	// About says what the run certifies, filled in as it learns it.
	About results.About
	// Summary is set by the results phase.
	Summary *results.Summary
	// serverVersion is the cluster's API server's version, in cluster mode.
	serverVersion string

	// keptReportEntries are the report directory's entries that no run
	// wrote, left by results.Clear.
	keptReportEntries []string
	// mu guards Host, Client, Specs, NodeName, About and the static pod
	// directory while the phases run: an interrupt reads them from another
	// goroutine.
	mu sync.Mutex
}

// Phases is the run, in order: in cluster mode (cfg.Cluster), the
// cluster's API server stands for the local control plane.
func Phases(cfg *Config) []Phase {
	var api Phase = &controlPlanePhase{}
	if cfg.Cluster {
		api = &clusterAPIPhase{}
	}
	return []Phase{
		&preflightPhase{},
		&hostLogsPhase{},
		&validationPhase{},
		api,
		&nodePhase{},
		&imagesPhase{},
		&kubeletSyncPhase{},
		&nodeFactsPhase{},
		&specsPhase{},
	}
}

// Run runs phases in order and stops them in reverse order on every path.
// Each setup phase is recorded as a testcase of the JUnit report, so a run
// that fails before any spec still leaves a junit_01.xml saying why.
func Run(ctx context.Context, cfg *Config, logger *slog.Logger, out io.Writer, phases []Phase) error {
	var rerunOf string
	if cfg.RerunFailed != "" {
		// Read before the report directory is cleared: it may be this one.
		focus, of, err := RerunSelection(cfg.RerunFailed)
		if err != nil {
			return err
		}
		cfg.Focus, cfg.Skip, cfg.LabelFilter, rerunOf = focus, "", "", of
	}
	rc := &RunContext{Config: cfg, Logger: logger, Out: out, Report: &results.Report{}, About: cfg.About()}
	rc.About.Started = time.Now()
	rc.About.RerunOf = rerunOf
	logger.Info("node-test run", "version", Build(), "kubernetes", KubernetesVersion, "config", cfg.String())
	kept, err := results.Clear(cfg.ReportDir)
	if err != nil {
		return err
	}
	rc.keptReportEntries = kept
	// Named at once: a run killed before its end leaves its files to the
	// next run to clear, not as files of someone else's.
	if err := results.RecordRun(cfg.ReportDir, kept, true); err != nil {
		return err
	}

	// Interrupted, the run writes what it knows at once: docker stop kills
	// it 10 s after its SIGTERM, well before a full teardown ends.
	phasesDone := make(chan struct{})
	provisional := make(chan struct{})
	go func() {
		defer close(provisional)
		select {
		case <-ctx.Done():
			writeProvisional(rc, context.Cause(ctx))
			// Then the static pods, which the kubelet stops at once: a
			// kill during the teardown leaves none running.
			rc.mu.Lock()
			client, h, dir, sel := rc.Client, rc.Host, rc.Config.StaticPodDir, rc.testNamespaces()
			rc.mu.Unlock()
			if client != nil {
				quick, cancel := context.WithTimeout(TeardownContext(ctx), 5*time.Second)
				removed, err := RemoveStaticPods(quick, client, h, dir, sel)
				cancel()
				rc.Logger.Warn("interrupted: the specs' static pod manifests removed", "manifests", strings.Join(removed, ","), "error", err)
			}
		case <-phasesDone:
		}
	}()

	var started []Phase
	var runErr error
	for _, p := range phases {
		if err := ctx.Err(); err != nil {
			runErr = fmt.Errorf("interrupted before %s: %w", p.Name(), context.Cause(ctx))
			rc.Report.Add(results.SetupSuite, results.Case{Name: p.Name(), Status: results.StatusFailed, Message: runErr.Error()})
			break
		}
		logger.Info("phase starting", slog.String("phase", p.Name()))
		start := time.Now()
		started = append(started, p)
		err := runPhase(ctx, rc, p)
		c := results.Case{Name: p.Name(), Status: results.StatusPassed, Seconds: time.Since(start).Seconds()}
		if err != nil && !errors.Is(err, ErrSpecsFailed) {
			c.Status, c.Message = results.StatusFailed, err.Error()
		}
		if _, isSpecs := p.(*specsPhase); !isSpecs || c.Status == results.StatusFailed {
			rc.Report.Add(results.SetupSuite, c)
		}
		if err := results.AppendProgress(filepath.Join(cfg.ReportDir, results.TimelineFile), results.ProgressEvent{
			Event: results.ProgressPhase, Spec: p.Name(), Time: start, State: c.Status, Seconds: c.Seconds}); err != nil {
			logger.Warn("the run's timeline misses a phase", "phase", p.Name(), "error", err.Error())
		}
		if err != nil {
			runErr = fmt.Errorf("%s: %w", p.Name(), err)
			logger.Error("phase failed", slog.String("phase", p.Name()), slog.String("error", err.Error()))
			break
		}
		logger.Info("phase done", slog.String("phase", p.Name()), slog.Duration("took", time.Since(start).Round(time.Millisecond)))
	}

	close(phasesDone)
	<-provisional

	// Teardown runs even when ctx is cancelled: give it its own deadline,
	// which a second interrupt (Abort) cuts short.
	stopCtx, cancel := context.WithTimeout(TeardownContext(ctx), 3*time.Minute)
	defer cancel()
	for i := len(started) - 1; i >= 0; i-- {
		if s, ok := started[i].(Stopper); ok {
			if err := stopPhase(stopCtx, rc, s); err != nil {
				logger.Warn("teardown", slog.String("phase", started[i].Name()), slog.String("error", err.Error()))
				runErr = errors.Join(runErr, fmt.Errorf("stop %s: %w", started[i].Name(), err))
			}
		}
	}

	if err := writeResults(rc); err != nil {
		return errors.Join(runErr, err)
	}
	switch {
	case runErr == nil && rc.Summary.Failed() > 0:
		// Every phase ran, yet a system check failed: the node is not conformant.
		runErr = fmt.Errorf("%d checks or specs failed: %w", rc.Summary.Failed(), ErrSpecsFailed)
	case runErr == nil && rc.Summary.Verdict == results.VerdictIncomplete:
		runErr = fmt.Errorf("%d selected specs were not run because of node-test's setup (summary.txt says how to fix each): %w",
			len(rc.Summary.NotRunCases), ErrIncomplete)
	}
	return runErr
}

// abortKey is the context key of the context whose end aborts the teardown.
type abortKey struct{}

// WithAbort returns ctx carrying abort: a run on ctx that is interrupted
// (ctx done) still tears down, unless abort is done too, as on a second
// SIGINT or SIGTERM: then it skips what is left of the teardown and exits.
func WithAbort(ctx, abort context.Context) context.Context {
	return context.WithValue(ctx, abortKey{}, abort)
}

// TeardownContext is the context a teardown runs in: not done when ctx is,
// done when its abort context is.
func TeardownContext(ctx context.Context) context.Context {
	if abort, ok := ctx.Value(abortKey{}).(context.Context); ok {
		return abort
	}
	return context.WithoutCancel(ctx)
}

// writeProvisional writes the report of an interrupted run as it stands: its
// steps and checks, the interrupt, and every selected spec as not reported
// yet. The run's end writes the full report over it, if it gets there.
func writeProvisional(rc *RunContext, cause error) {
	start := time.Now()
	rc.mu.Lock()
	specs, about := rc.Specs, rc.About
	about.HostLogs, about.Restarts = slices.Clone(about.HostLogs), slices.Clone(about.Restarts)
	rc.mu.Unlock()
	r := results.Merge(rc.Report)
	r.Add(results.SetupSuite, results.Case{Name: "interrupted", Status: results.StatusFailed,
		Message: fmt.Sprintf("%v: this report was written at the interrupt; the run then stopped the specs and tore down what it created (a second SIGINT or SIGTERM skips the teardown)", cause)})
	for _, s := range specs {
		r.Add(results.SpecSuite, results.Case{Name: "[It] " + s.Text, Status: results.StatusFailed, Message: "not reported: the run was interrupted"})
	}
	dir := rc.Config.ReportDir
	about.Finished = time.Now()
	err := r.Write(dir)
	if err == nil {
		_, err = r.WriteSummary(dir, about)
	}
	if err != nil {
		rc.Logger.Error("write the report of the interrupted run", "error", err.Error())
		return
	}
	rc.Logger.Warn("interrupted: the report as it stands is written; stopping the specs and tearing down", "report", dir, "took", time.Since(start).Round(time.Millisecond))
}

// runPhase runs p; a panic in it is its failure, with the stack, so that
// the run still tears down what started and writes its report.
func runPhase(ctx context.Context, rc *RunContext, p Phase) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return p.Run(ctx, rc)
}

// stopPhase stops s; a panic in it is its failure, and the other phases
// still stop.
func stopPhase(ctx context.Context, rc *RunContext, s Stopper) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return s.Stop(ctx, rc)
}

// writeResults merges the runner's testcases into the report directory's
// JUnit report, writes the summary, and records what the run wrote there
// for the next run to clear.
func writeResults(rc *RunContext) error {
	dir := rc.Config.ReportDir
	specs, err := results.Load(dir)
	if err != nil {
		// The runner's own cases still get written, and the broken report is named.
		rc.Report.Add(results.SetupSuite, results.Case{Name: "read spec report", Status: results.StatusFailed, Message: err.Error()})
		specs = &results.Report{}
	}
	merged := results.Merge(rc.Report, specs)
	if err := merged.Write(dir); err != nil {
		return fmt.Errorf("write JUnit report in %s: %w", dir, err)
	}
	rc.About.Finished = time.Now()
	sum, err := merged.WriteSummary(dir, rc.About)
	if err != nil {
		return err
	}
	rc.Summary = &sum
	fmt.Fprintf(rc.Out, "%s; report in %s\n", sum.Headline(), dir)
	return results.RecordRun(dir, rc.keptReportEntries, false)
}
