package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/node-test/node-test/results"
)

// kubeletRootDir is the kubelet's default root directory, which upstream's
// node specs use by its path.
const kubeletRootDir = "/var/lib/kubelet"

// specsPhase runs the selected specs: ginkgo, in parallel, over
// conformance.test, against the local control plane.
type specsPhase struct{}

func (*specsPhase) Name() string { return "specs" }

// Target is what the specs run against.
type Target struct {
	// APIURL is the API server's URL.
	APIURL string
	// TokenFile holds the bearer token the specs present to it, if any
	// (in a cluster, the pod's service account's).
	TokenFile string
	// NodeName is the node under test; empty for the only node.
	NodeName string
	// RuntimeEndpoint is the CRI endpoint of the node's runtime as the
	// specs reach it (through the rootfs in a container); empty for the
	// framework's default, containerd's.
	RuntimeEndpoint string
	// ProgressFile is where the specs report their starts and ends.
	ProgressFile string
	// Durations is the file of how long each spec took when it last ran
	// on the node (DurationsFile, as the specs reach it): those that took
	// longest start first. The file need not exist yet (the node's first
	// run). Empty when the run reaches no host.
	Durations string
}

// GinkgoArgs are the arguments of the ginkgo CLI for a run against t.
func GinkgoArgs(cfg *Config, t Target) []string {
	args := []string{
		"--nodes=" + strconv.Itoa(cfg.Parallelism),
		"--flake-attempts=" + strconv.Itoa(cfg.FlakeAttempts),
		"--timeout=" + cfg.SpecTimeout.String(),
		"--no-color",
	}
	if cfg.Focus != "" {
		args = append(args, "--focus="+cfg.Focus)
	}
	if cfg.Skip != "" {
		args = append(args, "--skip="+cfg.Skip)
	}
	if cfg.LabelFilter != "" {
		args = append(args, "--label-filter="+cfg.LabelFilter)
	}
	args = append(args, filepath.Join(cfg.BinDir, "conformance.test"), "--")
	return append(args, TestBinaryArgs(cfg, t)...)
}

// TestBinaryArgs are the conformance binary's own flags; TEST_ARGS come last
// so they can override any of them.
func TestBinaryArgs(cfg *Config, t Target) []string {
	args := []string{"--host=" + t.APIURL, "--report-dir=" + cfg.ReportDir}
	if t.TokenFile != "" {
		args = append(args, "--bearer-token-file="+t.TokenFile)
	}
	if t.NodeName != "" {
		args = append(args, "--node-name="+t.NodeName)
	}
	if t.RuntimeEndpoint != "" {
		args = append(args, "--container-runtime-endpoint="+t.RuntimeEndpoint)
	}
	if t.ProgressFile != "" {
		args = append(args, "--progress-file="+t.ProgressFile)
	}
	if t.Durations != "" {
		args = append(args, "--spec-durations="+t.Durations)
	}
	if cfg.ExtraEnvs != "" {
		args = append(args, "--extra-envs="+cfg.ExtraEnvs)
	}
	if cfg.StaticPodDir != "" {
		args = append(args, "--static-pod-dir="+cfg.StaticPodDir)
	}
	return append(args, strings.Fields(cfg.TestArgs)...)
}

func (*specsPhase) Run(ctx context.Context, rc *RunContext) error {
	cfg := rc.Config
	logPath := filepath.Join(cfg.ReportDir, results.SpecsLogFile)
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", logPath, err)
	}
	defer logFile.Close()

	// Upstream's node specs reach the kubelet's directory (device plugins,
	// pod volumes) by its host path.
	// In a cluster, the pod has the static pod directory (which may
	// differ from node to node) only through the rootfs: it is mounted at
	// its own path for the specs, as the documented docker run mounts it.
	target := Target{APIURL: rc.APIURL, TokenFile: rc.TokenFile, NodeName: rc.NodeName}
	if rc.Host != nil {
		dirs := []string{kubeletRootDir}
		if cfg.Cluster && cfg.StaticPodDir != "" {
			dirs = append(dirs, cfg.StaticPodDir)
		}
		for _, dir := range dirs {
			undo, err := rc.Host.Expose(dir)
			if err != nil {
				return err
			}
			if undo != nil {
				defer func() {
					if err := undo(); err != nil {
						rc.Logger.Warn("a host directory stays mounted in node-test's container", "dir", dir, "error", err.Error())
					}
				}()
			}
		}
		if rc.Runtime.Socket != "" {
			target.RuntimeEndpoint = "unix://" + rc.Host.Path(rc.Runtime.Socket)
		}
	}
	// The specs' progress, followed as they report it, and kept in the
	// report directory: the timeline report.html draws.
	target.ProgressFile = filepath.Join(cfg.ReportDir, results.TimelineFile)
	var durations string
	if rc.Host != nil {
		durations = rc.Host.Path(DurationsFile)
	}
	known := loadDurations(durations)
	// The conformance binary orders the specs by it, completed by the list
	// node-test keeps (results.ReferenceDurations) for the specs the node
	// never ran: the node's first run too starts the longest first.
	target.Durations = durations
	args := GinkgoArgs(cfg, target)
	cmd := exec.Command(filepath.Join(cfg.BinDir, "ginkgo"), args...)
	cmd.Env = specEnv()
	cmd.Stdout = io.MultiWriter(rc.Out, logFile)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A spec process left behind must not hold the run once ginkgo is gone.
	cmd.WaitDelay = 30 * time.Second
	rc.Logger.Info("running specs", "command", cmd.String())
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ginkgo: %w", err)
	}
	defer func() {
		rc.mu.Lock()
		rc.About.SpecsSeconds = time.Since(started).Seconds()
		rc.mu.Unlock()
	}()
	// The ETA of specs the node never ran comes from node-test's list.
	prog := newProgress(rc.Specs, results.WithReference(known), cfg.Parallelism, started)
	followCtx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	following := make(chan struct{})
	go func() {
		defer close(following)
		prog.follow(followCtx, target.ProgressFile, cfg.ProgressInterval, rc.Logger)
	}()
	defer func() {
		stopFollowing()
		<-following
		rc.Logger.Info(prog.line(time.Now()))
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var runErr error
	select {
	case runErr = <-done:
	case <-ctx.Done():
		// Ginkgo stops the specs on SIGINT, runs their cleanup and writes the
		// report of what ran; give it time, then kill the whole group.
		rc.Logger.Warn("interrupted: stopping the specs")
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case runErr = <-done:
		case <-time.After(2 * time.Minute):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			runErr = <-done
		case <-TeardownContext(ctx).Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			runErr = <-done
		}
		runErr = fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}

	report, err := results.Load(cfg.ReportDir)
	if err != nil {
		return err
	}
	if durations != "" {
		if err := saveDurations(durations, known, report); err != nil {
			rc.Logger.Warn("the specs' durations are not kept for the next run's ETA", "file", DurationsFile, "error", err.Error())
		}
	}
	counts := report.Counts()
	// Every selected spec ends in the report as passed, failed or skipped:
	// one the report lacks did not pass, and is named.
	missing := MissingSpecs(rc.Specs, report)
	why := "the spec run ended without a result for it"
	if ctx.Err() != nil {
		why = "the run was interrupted before it ended"
	}
	for _, text := range missing {
		rc.Report.Add(results.SpecSuite, results.Case{Name: "[It] " + text, Status: results.StatusFailed,
			Message: fmt.Sprintf("selected but not reported: %s (the spec run's output is in %s)", why, logPath)})
	}
	if len(missing) > 0 {
		rc.Logger.Error("selected specs missing from the report", "missing", len(missing), "selected", len(rc.Specs), "first", missing[0])
	}
	switch {
	case ctx.Err() != nil:
		return runErr
	case counts.Total == 0 && runErr != nil:
		return fmt.Errorf("the spec run failed and wrote no report: %w (its output is in %s)", runErr, logPath)
	case counts.Failed > 0 || len(missing) > 0:
		return fmt.Errorf("%d of %d specs failed, %d not reported: %w", counts.Failed, len(rc.Specs), len(missing), ErrSpecsFailed)
	case runErr != nil:
		return fmt.Errorf("ginkgo failed although no spec did: %w (its output is in %s)", runErr, logPath)
	}
	return nil
}

// MissingSpecs returns the texts of the selected specs that report holds no
// testcase of, in the order of the selection.
func MissingSpecs(selected []Spec, report *results.Report) []string {
	reported := map[string]bool{}
	for _, c := range report.Cases() {
		reported[strings.TrimPrefix(c.Name, "[It] ")] = true
	}
	var missing []string
	for _, s := range selected {
		if !reported[s.Text] {
			missing = append(missing, s.Text)
		}
	}
	return missing
}
