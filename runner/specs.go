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

// specsPhase runs the selected specs: ginkgo, in parallel, over
// conformance.test, against the local control plane.
type specsPhase struct{}

func (*specsPhase) Name() string { return "specs" }

// GinkgoArgs are the arguments of the ginkgo CLI for a run against the API
// server at apiURL and the node called nodeName.
func GinkgoArgs(cfg *Config, apiURL, nodeName string) []string {
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
	args = append(args, filepath.Join(cfg.BinDir, "conformance.test"), "--")
	return append(args, TestBinaryArgs(cfg, apiURL, nodeName)...)
}

// TestBinaryArgs are the conformance binary's own flags; TEST_ARGS come last
// so they can override any of them.
func TestBinaryArgs(cfg *Config, apiURL, nodeName string) []string {
	args := []string{"--host=" + apiURL, "--report-dir=" + cfg.ReportDir}
	if nodeName != "" {
		args = append(args, "--node-name="+nodeName)
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
	logPath := filepath.Join(cfg.ReportDir, "specs.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", logPath, err)
	}
	defer logFile.Close()

	args := GinkgoArgs(cfg, rc.APIURL, rc.NodeName)
	cmd := exec.Command(filepath.Join(cfg.BinDir, "ginkgo"), args...)
	cmd.Stdout = io.MultiWriter(rc.Out, logFile)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A spec process left behind must not hold the run once ginkgo is gone.
	cmd.WaitDelay = 30 * time.Second
	rc.Logger.Info("running specs", "command", cmd.String())
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ginkgo: %w", err)
	}
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
		}
		runErr = fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}

	report, err := results.Load(cfg.ReportDir)
	if err != nil {
		return err
	}
	counts := report.Counts()
	switch {
	case ctx.Err() != nil:
		return runErr
	case counts.Total == 0 && runErr != nil:
		return fmt.Errorf("the spec run failed and wrote no report: %w (its output is in %s)", runErr, logPath)
	case counts.Failed > 0:
		return fmt.Errorf("%d of %d specs failed: %w", counts.Failed, counts.Total, ErrSpecsFailed)
	case runErr != nil:
		return fmt.Errorf("ginkgo failed although no spec did: %w (its output is in %s)", runErr, logPath)
	}
	return nil
}
