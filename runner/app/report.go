package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/cluster"
)

const reportHelp = `Print the summary of a report directory node-test wrote, and write its
summary.txt, summary.json and report.html again from its junit_01.xml (and
what its summary.json says was certified): a report produced by an older
node-test, or edited, gets today's page.

With --junit, merge the JUnit reports given (several runs, several nodes)
into the directory instead: its junit_01.xml, summary and page are then of
all of them. The directory is treated as a run's report directory: what a
run of node-test wrote there is replaced, and nothing else.

Exit codes: 0 the report's verdict is PASS, 1 FAIL or INCOMPLETE, 2 the
report cannot be read or written.`

func newReportCommand(streams Streams) *cobra.Command {
	var junits []string
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Print a report directory's summary and write its report.html again; --junit merges reports into it",
		Long:  reportHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return report(streams, args[0], junits)
		},
	}
	cmd.Flags().StringSliceVar(&junits, "junit", nil, "JUnit reports to merge into DIR (repeat, or separate with commas)")
	return cmd
}

// ErrReportVerdict means the report a command summarized did not pass.
var ErrReportVerdict = errors.New("the report's verdict is not PASS")

func report(streams Streams, dir string, junits []string) error {
	var about results.About
	var r *results.Report
	if len(junits) == 0 {
		var err error
		if r, err = results.LoadFile(filepath.Join(dir, results.JUnitFile)); err != nil {
			return fmt.Errorf("%w (node-test report DIR reads a report directory a run wrote)", err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, results.SummaryJSONFile)); err == nil {
			var sum results.Summary
			if err := json.Unmarshal(b, &sum); err != nil {
				return fmt.Errorf("read %s: %w", filepath.Join(dir, results.SummaryJSONFile), err)
			}
			about = sum.About
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	} else {
		var reports []*results.Report
		for _, j := range junits {
			one, err := results.LoadFile(j)
			if err != nil {
				return err
			}
			reports = append(reports, one)
		}
		r = results.Merge(&results.Report{}, reports...)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		kept, err := results.Clear(dir)
		if err != nil {
			return err
		}
		if err := r.Write(dir); err != nil {
			return err
		}
		defer func() { _ = results.RecordRun(dir, kept, false) }()
	}
	if err := results.CheckOwned(dir, results.SummaryFile, results.SummaryJSONFile, results.HTMLFile); err != nil {
		return err
	}
	sum, err := r.WriteSummary(dir, about)
	if err != nil {
		return err
	}
	txt, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		return err
	}
	fmt.Fprint(streams.Out, string(txt))
	fmt.Fprintf(streams.Out, "report: %s\n", filepath.Join(dir, results.HTMLFile))
	if sum.Verdict != results.VerdictPass {
		return fmt.Errorf("%s: %w", sum.Headline(), ErrReportVerdict)
	}
	return nil
}

func newReportArchiveCommand(streams Streams) *cobra.Command {
	return &cobra.Command{
		Use:    "report-archive DIR",
		Short:  "Write report directory DIR as a tar stream to the output (node-test cluster collects a node's report with it)",
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(_ *cobra.Command, args []string) error {
			return cluster.Archive(streams.Out, args[0])
		},
	}
}

func newInterruptCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "interrupt",
		Short:  "Interrupt the run this container holds (its PID 1), as SIGINT does: node-test cluster ends a node's run with it and still collects its report",
		Args:   cobra.NoArgs,
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			if err := syscall.Kill(1, syscall.SIGINT); err != nil {
				return fmt.Errorf("interrupt the run (PID 1): %w", err)
			}
			return nil
		},
	}
}
