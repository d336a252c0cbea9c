package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/cluster"
)

const runHelp = `Certify the node node-test runs on: verify the host through the rootfs, start
the local control plane the kubelet reaches at http://localhost:8080, wait for
the Node, make sure the test images are on the node, run the selected specs
with ginkgo and write junit_01.xml, a summary and logs to the report
directory. Teardown happens on every path, including SIGINT/SIGTERM.

Default selection: every linked [Conformance] and [NodeConformance] spec that
is not [Flaky], [Serial] or [Disruptive]:
  FOCUS='\[Conformance\]|\[NodeConformance\]'  SKIP='\[Flaky\]|\[Serial\]|\[Disruptive\]'

Environment (flags override it): FOCUS, SKIP, PARALLELISM (12 per CPU core, at
most 24; upstream's image runs 8), FLAKE_ATTEMPTS (1),
REPORT_PATH (/var/result), TEST_ARGS (extra conformance binary flags),
EXTRA_ENVS (k=v,k=v set for the specs); KUBELET_CLIENT_CERT and
KUBELET_CLIENT_KEY (host paths of a client certificate the kubelet's client CA
signed, for a kubelet that refuses anonymous requests; default: found on the
node).

Exit codes: 0 every selected spec passed, 1 spec failures, 2 setup error.`

func newRunCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	cfg := runner.NewDefaultConfig()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Certify this node: system checks, local control plane, the node conformance specs, JUnit in the report dir",
		Long:  runHelp,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			err := completeAndValidate(c, cfg)
			if err == nil {
				err = runner.Run(c.Context(), cfg, logger, streams.Out, runner.Phases(cfg))
			}
			if cfg.Hold {
				hold(c.Context(), streams.Out, err)
			}
			return err
		},
	}
	cfg.AddFlags(cmd.Flags())
	return cmd
}

// hold says the report is ready, with the run's exit code, and waits until
// ctx ends: node-test cluster collects the report from the pod meanwhile,
// then deletes the pod, which interrupts the process. A run that was
// interrupted (node-test cluster interrupted in turn, node-test interrupt)
// holds its report until a second signal, at most cluster.HoldAfterInterrupt.
func hold(ctx context.Context, out io.Writer, err error) {
	interrupted := ctx.Err() != nil
	fmt.Fprintf(out, "%s%d\n", cluster.ReadyMarker, codeOf(err))
	if !interrupted {
		<-ctx.Done()
		return
	}
	select {
	case <-runner.TeardownContext(ctx).Done():
	case <-time.After(cluster.HoldAfterInterrupt):
	}
}

// completeAndValidate applies the environment to cfg and refuses bad input
// before anything starts. Where the report directory is usable, the refusal
// is also written there as a failed setup testcase.
func completeAndValidate(c *cobra.Command, cfg *runner.Config) error {
	if err := cfg.Complete(c.Flags(), os.LookupEnv); err != nil {
		return reportRefusal(cfg, err)
	}
	if err := cfg.Validate(); err != nil {
		return reportRefusal(cfg, err)
	}
	return runner.CheckReportDir(cfg.ReportDir)
}

// reportRefusal writes the refusal err as the run's report, as a run would:
// only where the report directory is usable and holds nothing of another's
// that the report would write over.
func reportRefusal(cfg *runner.Config, err error) error {
	return writeRefusal(cfg.ReportDir, cfg.About(), err)
}

// writeRefusal writes err as a report of one failed configuration testcase
// in dir, where dir is usable and holds nothing of another's that the
// report would write over, and returns err.
func writeRefusal(dir string, about results.About, err error) error {
	if dir != "" && runner.CheckReportDir(dir) == nil {
		kept, cerr := results.Clear(dir)
		if cerr != nil {
			return errors.Join(err, cerr)
		}
		r := &results.Report{}
		r.Add(results.SetupSuite, results.Case{Name: "configuration", Status: results.StatusFailed, Message: err.Error()})
		if werr := r.Write(dir); werr != nil {
			return errors.Join(err, fmt.Errorf("write JUnit report: %w", werr))
		}
		if _, werr := r.WriteSummary(dir, about); werr != nil {
			return errors.Join(err, werr)
		}
		if werr := results.RecordRun(dir, kept, false); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
}
