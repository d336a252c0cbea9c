package runner

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-test/node-test/runner/validate"
)

func TestClusterConfig(t *testing.T) {
	sa := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if _, err := ClusterConfig("", sa, getenv); err == nil || !strings.Contains(err.Error(), "KUBERNETES_SERVICE_HOST") {
		t.Errorf("no server, no in-cluster address: %v", err)
	}
	env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"] = "10.96.0.1", "443"
	if _, err := ClusterConfig("", sa, getenv); err == nil || !strings.Contains(err.Error(), "service account token") {
		t.Errorf("no token: %v", err)
	}
	os.WriteFile(filepath.Join(sa, "token"), []byte("tok"), 0o600)
	cfg, err := ClusterConfig("", sa, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://10.96.0.1:443" || cfg.BearerTokenFile != filepath.Join(sa, "token") || cfg.CAFile != "" || !cfg.Insecure {
		t.Errorf("in-cluster config: host %q token %q CA %q", cfg.Host, cfg.BearerTokenFile, cfg.CAFile)
	}
	os.WriteFile(filepath.Join(sa, "ca.crt"), []byte("ca"), 0o644)
	cfg, err = ClusterConfig("https://127.0.0.1:6443", sa, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || cfg.CAFile != filepath.Join(sa, "ca.crt") || cfg.Insecure {
		t.Errorf("config at a given server: host %q CA %q", cfg.Host, cfg.CAFile)
	}
}

// In a cluster, the kubelet's API server is the cluster's (checked once it
// is reached), and a cloud provider is the cluster's business.
func TestClusterChecks(t *testing.T) {
	checks := []validate.Check{
		{Area: validate.AreaKubelet, Name: "process", Verdict: validate.Pass},
		{Area: validate.AreaKubelet, Name: "cloud provider", Verdict: validate.Fail, Message: "the kubelet runs with --cloud-provider=external", Fix: "remove it"},
		{Area: validate.AreaKubelet, Name: "API server", Verdict: validate.Fail, Message: "https://10.0.0.1:6443"},
		{Area: validate.AreaSystem, Name: "API server", Verdict: validate.Pass},
	}
	got := clusterChecks(checks, slog.New(slog.DiscardHandler))
	if len(got) != 3 {
		t.Fatalf("checks %+v", got)
	}
	if got[1].Verdict != validate.NotApplicable || got[1].Fix != "" || got[1].Message != "in a cluster the kubelet may run with its cloud provider: --cloud-provider=external" {
		t.Errorf("cloud provider check %+v", got[1])
	}
	if got[2].Area != validate.AreaSystem {
		t.Errorf("kept %+v", got[2])
	}
}
