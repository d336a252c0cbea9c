package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/host"
	"github.com/node-test/node-test/runner/validate"
)

const validateHelp = `Verify the host node-test runs on, through its root filesystem (--rootfs):
  system   the OS, kernel version and config, cgroup version and controllers
  runtime  the CRI runtime (containerd, CRI-O, cri-dockerd), its readiness and
           its cgroup driver against the kubelet's
  kubelet  the kubelet process, its config file, no --cloud-provider, at most
           110 pods, its kubeconfig pointing at the local control plane
  pki      the kubelet's client and serving certificates
and whether the kubelet will serve the control plane's requests to its API
(logs, exec, port forwarding): it lets anonymous requests in, or its client
CA signed a certificate found on the node or given (--kubelet-client-cert).
Each check is printed on a line of its own: PASS, WARN (does not fail), FAIL
(with the fix) or N/A (with the reason). With --report-dir, the checks are
also written as junit_01.xml and a summary there.

Exit codes: 0 no check failed, 1 a check failed, 2 the rootfs is not a root
filesystem or the report cannot be written.`

func newValidateCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	rootfs, reportDir := runner.DefaultRootfs, ""
	var kubeletCert, kubeletKey string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Verify the host (system, runtime, kubelet, PKI) without running the specs",
		Long:  validateHelp,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			logger.Info("validating the host", slog.String("rootfs", rootfs), slog.String("report-dir", reportDir))
			h, err := host.New(rootfs)
			if err != nil {
				return err
			}
			checks := validate.Run(c.Context(), h)
			_, access, _ := validate.ChooseKubeletClient(h, kubeletCert, kubeletKey, time.Now())
			checks = append(checks, access)
			report := &results.Report{}
			for _, chk := range checks {
				fmt.Fprintln(streams.Out, chk)
				report.Add(results.ValidationSuite, chk.Case())
			}
			if reportDir != "" {
				// As a run: what a run wrote there is replaced, nothing else.
				kept, err := results.Clear(reportDir)
				if err != nil {
					return err
				}
				if err := report.Write(reportDir); err != nil {
					return fmt.Errorf("write the validation report: %w", err)
				}
				about := results.About{NodeTest: runner.Build(), Kubernetes: runner.KubernetesVersion}
				if _, err := report.WriteSummary(reportDir, about); err != nil {
					return fmt.Errorf("write the validation summary: %w", err)
				}
				if err := results.RecordRun(reportDir, kept, false); err != nil {
					return err
				}
			}
			return validate.Failed(checks)
		},
	}
	cmd.Flags().StringVar(&rootfs, "rootfs", rootfs, "where the host's / is mounted: /rootfs in the container, / on the host")
	cmd.Flags().StringVar(&reportDir, "report-dir", reportDir, "write junit_01.xml and the summary of the checks here (default: no report)")
	cmd.Flags().StringVar(&kubeletCert, "kubelet-client-cert", "", "host path of the client certificate node-test run would be given for the kubelet's API (default: found on the node)")
	cmd.Flags().StringVar(&kubeletKey, "kubelet-client-key", "", "host path of the key of --kubelet-client-cert (default: in the certificate's file)")
	return cmd
}
