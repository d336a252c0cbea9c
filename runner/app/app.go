package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/validate"
)

// Streams are the standard streams of a command.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Exit codes of every node-test command.
const (
	ExitOK       = 0 // every selected spec and check passed
	ExitFailures = 1 // specs or checks failed, or specs not run because of node-test's setup (INCOMPLETE)
	ExitSetup    = 2 // bad input or a setup/infrastructure error
)

// Main runs node-test with the process's arguments and streams, and returns
// the exit code. The first SIGINT or SIGTERM cancels the run's context: the
// run writes its report as it stands at once, removes the specs' static
// pods, stops the specs and tears down what it created. A second one aborts
// that teardown: the run exits as soon as it can.
func Main() int {
	streams := Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, interrupt := context.WithCancelCause(context.Background())
	abort, abortNow := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s := <-sigs
		interrupt(fmt.Errorf("interrupted by %v", s))
		s = <-sigs
		logger.Warn("second signal: the teardown is cut short", "signal", s.String())
		abortNow()
	}()
	err := Run(runner.WithAbort(ctx, abort), logger, streams, os.Args[1:])
	return exitCode(err, streams.Err)
}

// exitCode is the one place errors become exit codes: failed specs or
// checks are failures; any other error is a setup error.
func exitCode(err error, w io.Writer) int {
	if err != nil {
		fmt.Fprintf(w, "node-test: %v\n", err)
	}
	return codeOf(err)
}

// codeOf is the exit code of err.
func codeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, runner.ErrSpecsFailed) || errors.Is(err, runner.ErrIncomplete) || errors.Is(err, validate.ErrChecksFailed) ||
		errors.Is(err, ErrReportVerdict) {
		return ExitFailures
	}
	return ExitSetup
}

// Run runs node-test with args (without the program name).
func Run(ctx context.Context, logger *slog.Logger, streams Streams, args []string) error {
	root := newRootCommand(logger, streams)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	return root.ExecuteContext(ctx)
}

func newRootCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "node-test",
		Short:         "Certify a Kubernetes node: system checks and the node conformance specs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newVersionCommand(streams),
		newRunCommand(logger, streams),
		newListCommand(logger, streams),
		newValidateCommand(logger, streams),
		newImagesCommand(logger, streams),
		newControlPlaneCommand(logger, streams),
		newReportCommand(streams),
		newReportArchiveCommand(streams),
		newInterruptCommand(),
		newClusterCommand(logger, streams),
	)
	return root
}

func kubernetesClient(url string) (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(&rest.Config{Host: url})
}
