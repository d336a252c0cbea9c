package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/controlplane"
	"github.com/node-test/node-test/runner/host"
	"github.com/node-test/node-test/runner/validate"
)

func newControlPlaneCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	cfg := controlplane.NewConfig()
	var (
		kubeconfig string
		rootfs     string
		wait       bool
		// The kubelet client certificate and key, host paths.
		kubeletCert, kubeletKey string
	)
	cmd := &cobra.Command{
		Use:   "controlplane",
		Short: "Start only the local control plane (etcd, kube-apiserver, namespace controller, http://localhost:8080) until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.Logger = logger
			h, err := host.New(rootfs)
			if err != nil {
				return err
			}
			if cfg.DataDir == "" {
				cfg.DataDir = h.Path(runner.StateDir)
			}
			kc, check, err := validate.ChooseKubeletClient(h, kubeletCert, kubeletKey, time.Now())
			if err != nil {
				return err
			}
			logger.Info("check", "verdict", string(check.Verdict), "check", check.Title(), "message", check.Message, "fix", check.Fix)
			cfg.KubeletClientCert, cfg.KubeletClientKey, cfg.NoKubeletClientCert = kc.CertPEM, kc.KeyPEM, kc.None
			cp, err := controlplane.New(cfg)
			if err != nil {
				return err
			}
			if err := cp.Start(c.Context()); err != nil {
				return err
			}
			defer cp.Stop()
			path := cp.KubeconfigPath()
			if kubeconfig != "" {
				if err := cp.WriteKubeconfig(kubeconfig); err != nil {
					return err
				}
				path = kubeconfig
			}
			fmt.Fprintf(streams.Out, "control plane ready in %s\n  insecure   %s\n  secure     %s\n  kubeconfig %s\n",
				cp.ReadyDuration().Round(time.Millisecond), cp.InsecureURL(), cp.SecureURL(), path)
			if wait {
				go waitForKubeletNode(c, cp, logger, streams)
			}
			select {
			case <-c.Context().Done():
				fmt.Fprintln(streams.Out, "stopping the control plane")
				return cp.Stop()
			case err := <-cp.Err():
				return fmt.Errorf("control plane failed: %w", err)
			}
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.InsecureAddress, "api-address", cfg.InsecureAddress, "loopback address of the plain-HTTP endpoint")
	fs.BoolVar(&cfg.AllowNonLoopback, "allow-non-loopback", false, "let --api-address name a non-loopback address (anyone reaching it is cluster admin)")
	fs.IntVar(&cfg.SecurePort, "secure-port", cfg.SecurePort, "the apiserver's TLS port on 127.0.0.1 (0: any free port)")
	fs.StringVar(&cfg.BearerToken, "bearer-token", "", "also accept this token on the secure port, for a kubelet set up the upstream way")
	fs.BoolVar(&cfg.RBAC, "rbac", false, "authorize requests with RBAC, as a cluster does, instead of allowing every authenticated one (the kubelet's token stays admin)")
	fs.StringVar(&cfg.LogDir, "log-dir", "", "keep etcd.log and kube-apiserver.log in this directory")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "etcd's data, kept from run to run (default: <rootfs>"+runner.StateDir+")")
	fs.StringVar(&kubeconfig, "kubeconfig", "", "also write a kubeconfig for the insecure endpoint here")
	fs.StringVar(&rootfs, "rootfs", "/", "where the host's / is mounted")
	fs.StringVar(&kubeletCert, "kubelet-client-cert", "", "host path of a client certificate the kubelet's client CA signed, presented to the kubelet's API (default: found on the node when the kubelet trusts it)")
	fs.StringVar(&kubeletKey, "kubelet-client-key", "", "host path of the key of --kubelet-client-cert (default: in the certificate's file)")
	fs.BoolVar(&wait, "wait-for-node", true, "report when the host's kubelet has registered a Ready node")
	return cmd
}

func waitForKubeletNode(c *cobra.Command, cp *controlplane.ControlPlane, logger *slog.Logger, streams Streams) {
	client, err := kubernetesClient(cp.InsecureURL())
	if err != nil {
		logger.Warn("not waiting for the node", "error", err.Error())
		return
	}
	name, err := runner.WaitForNode(c.Context(), client, "", 10*time.Minute, logger)
	if err != nil {
		logger.Warn("node", "error", err.Error())
		return
	}
	fmt.Fprintf(streams.Out, "node %s is Ready\n", name)
}
