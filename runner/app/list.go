package app

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/node-test/node-test/runner"
)

func newListCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	cfg := runner.NewDefaultConfig()
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Print the specs a selection would run (a Ginkgo dry run), each with its source, their count per source and area and in all",
		Long:  "Print the specs FOCUS/SKIP (or --focus/--skip) select, without running them.\n\n" + runHelp,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := cfg.Complete(c.Flags(), os.LookupEnv); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			specs, err := runner.ListSpecs(c.Context(), cfg)
			if err != nil {
				return err
			}
			for _, s := range specs {
				fmt.Fprintf(streams.Out, "%-9s  %s\n", s.Source, s.Text)
			}
			fmt.Fprintln(streams.Out, "\nspecs per source and area:")
			for _, a := range runner.CountByArea(specs) {
				fmt.Fprintf(streams.Out, "%5d  %-9s  %s\n", a.Count, a.Source, a.Area)
			}
			fmt.Fprintln(streams.Out, "\nspecs per source:")
			for _, a := range runner.CountBySource(specs) {
				fmt.Fprintf(streams.Out, "%5d  %s\n", a.Count, a.Source)
			}
			fmt.Fprintf(streams.Out, "%d specs\n", len(specs))
			return nil
		},
	}
	cfg.AddFlags(cmd.Flags())
	// list reads only the selection; the run's other flags are accepted and hidden.
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "focus" && f.Name != "skip" && f.Name != "bin-dir" {
			f.Hidden = true
		}
	})
	return cmd
}
