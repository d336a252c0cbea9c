package validate

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/node-test/node-test/runner/host"
)

// Requirements of the node conformance documentation
// (https://kubernetes.io/docs/setup/best-practices/node-conformance/) and
// of large clusters (https://kubernetes.io/docs/setup/best-practices/cluster-large/).
const (
	// maxPodsLimit is the documented per-node limit for large clusters.
	maxPodsLimit = 110
	// defaultMaxPods is the kubelet's default maxPods.
	defaultMaxPods = 110
	// defaultCertDir is the kubelet's default --cert-dir.
	defaultCertDir = "/var/lib/kubelet/pki"
)

// localAPIServers are the API server URLs a kubelet under test may use: the
// local control plane the node conformance test starts on
// http://localhost:8080, or the token endpoint on https://…:6443.
var localAPIServers = []string{
	"http://localhost:8080",
	"http://127.0.0.1:8080",
	"https://127.0.0.1:6443",
	"https://localhost:6443",
}

// kubelet is the kubelet process found on the host and what it runs with.
type kubelet struct {
	pid  int
	args []string
	// flags are the command line's --name=value (or --name value) flags,
	// by name without dashes; the last occurrence wins, as for pflag.
	flags map[string]string

	// configPath is --config, "" if none; config is the file (with the
	// --config-dir drop-ins applied), nil if there is none or it could not
	// be read (configErr).
	configPath string
	config     *kubeletv1beta1.KubeletConfiguration
	configErr  error

	// kubeconfigPath is --kubeconfig, "" if none; kubeconfig is the file,
	// nil if it could not be read (kubeconfigErr).
	kubeconfigPath string
	kubeconfig     *clientcmdv1.Config
	kubeconfigErr  error
}

// kubeletValueFlags are the kubelet flags read here that take a value, so
// "--name value" is read as well as "--name=value".
var kubeletValueFlags = map[string]bool{
	"config": true, "config-dir": true, "kubeconfig": true, "cloud-provider": true, "max-pods": true,
	"hostname-override": true, "tls-cert-file": true, "cert-dir": true, "cgroup-driver": true,
	"container-runtime-endpoint": true, "node-ip": true, "pod-manifest-path": true, "client-ca-file": true,
}

// parseFlags reads the flags of a command line (argv[0] excluded); valueFlags
// name those that may take their value from the next argument.
func parseFlags(args []string, valueFlags map[string]bool) map[string]string {
	flags := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name := strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(name, "="); ok {
			flags[k] = v
			continue
		}
		if valueFlags[name] && i+1 < len(args) {
			flags[name] = args[i+1]
			i++
			continue
		}
		flags[name] = "true"
	}
	return flags
}

func inspectKubelet(h *host.Host, p host.Process) *kubelet {
	k := &kubelet{pid: p.PID, args: p.Args, flags: parseFlags(p.Args[1:], kubeletValueFlags)}
	k.configPath = k.flags["config"]
	if k.configPath != "" {
		k.config, k.configErr = readKubeletConfig(h, k.configPath, k.flags["config-dir"])
	}
	k.kubeconfigPath = k.flags["kubeconfig"]
	if k.kubeconfigPath != "" {
		k.kubeconfig, k.kubeconfigErr = readKubeconfig(h, k.kubeconfigPath)
	}
	return k
}

// readKubeletConfig reads a KubeletConfiguration file and lays the
// --config-dir drop-ins (*.conf, in name order) over it, as the kubelet does.
func readKubeletConfig(h *host.Host, file, dropInDir string) (*kubeletv1beta1.KubeletConfiguration, error) {
	b, err := h.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read the kubelet config: %w", err)
	}
	cfg := &kubeletv1beta1.KubeletConfiguration{}
	if err := yaml.Unmarshal(b, cfg); err != nil {
		return nil, fmt.Errorf("parse the kubelet config %s: %w", file, err)
	}
	if cfg.Kind != "KubeletConfiguration" {
		return nil, fmt.Errorf("parse the kubelet config %s: kind is %q, not KubeletConfiguration", file, cfg.Kind)
	}
	if dropInDir == "" {
		return cfg, nil
	}
	entries, err := h.ReadDir(dropInDir)
	if err != nil {
		return nil, fmt.Errorf("read the kubelet config drop-in dir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".conf" {
			continue
		}
		p := path.Join(dropInDir, e.Name())
		b, err := h.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read the kubelet config drop-in: %w", err)
		}
		// Unmarshaling onto the same struct keeps the fields the drop-in
		// does not set.
		if err := yaml.Unmarshal(b, cfg); err != nil {
			return nil, fmt.Errorf("parse the kubelet config drop-in %s: %w", p, err)
		}
	}
	return cfg, nil
}

func readKubeconfig(h *host.Host, file string) (*clientcmdv1.Config, error) {
	b, err := h.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read the kubelet's kubeconfig: %w", err)
	}
	cfg := &clientcmdv1.Config{}
	if err := yaml.Unmarshal(b, cfg); err != nil {
		return nil, fmt.Errorf("parse the kubelet's kubeconfig %s: %w", file, err)
	}
	return cfg, nil
}

// kubeconfigTarget is the cluster and user a kubeconfig's current context
// names (the only ones when it has no current context).
func kubeconfigTarget(cfg *clientcmdv1.Config) (clientcmdv1.Cluster, clientcmdv1.AuthInfo, error) {
	clusterName, userName := "", ""
	for _, c := range cfg.Contexts {
		if c.Name == cfg.CurrentContext {
			clusterName, userName = c.Context.Cluster, c.Context.AuthInfo
		}
	}
	if cfg.CurrentContext == "" && len(cfg.Contexts) == 1 {
		clusterName, userName = cfg.Contexts[0].Context.Cluster, cfg.Contexts[0].Context.AuthInfo
	}
	if clusterName == "" && len(cfg.Clusters) == 1 {
		clusterName = cfg.Clusters[0].Name
	}
	if userName == "" && len(cfg.AuthInfos) == 1 {
		userName = cfg.AuthInfos[0].Name
	}
	var cluster clientcmdv1.Cluster
	found := false
	for _, c := range cfg.Clusters {
		if c.Name == clusterName {
			cluster, found = c.Cluster, true
		}
	}
	if !found {
		return cluster, clientcmdv1.AuthInfo{}, fmt.Errorf("its current context %q names no cluster it defines", cfg.CurrentContext)
	}
	var user clientcmdv1.AuthInfo
	for _, u := range cfg.AuthInfos {
		if u.Name == userName {
			user = u.AuthInfo
		}
	}
	return cluster, user, nil
}

// relativeTo resolves a path relative to the directory of file, as the
// kubelet does for paths in its config and kubeconfig files.
func relativeTo(file, p string) string {
	if p == "" || path.IsAbs(p) {
		return p
	}
	return path.Join(path.Dir(file), p)
}

// nodeName is the name the kubelet registers: --hostname-override, else the
// host's hostname, lower case.
func (n *node) nodeName() string {
	if k := n.kubelet; k != nil {
		if v := strings.TrimSpace(k.flags["hostname-override"]); v != "" {
			return strings.ToLower(v)
		}
	}
	return n.hostname
}

// kubeletChecks judges the kubelet against the node conformance
// documentation.
func kubeletChecks(n *node) []Check {
	k := n.kubelet
	if k == nil {
		reason := "no kubelet process found"
		msg := "no kubelet process found in the host's process table (" + n.h.Path("/proc") + ")"
		if n.processesErr != nil {
			msg = n.processesErr.Error()
		}
		return []Check{
			{Area: AreaKubelet, Name: "process", Verdict: Fail, Message: msg,
				Fix: "start the kubelet on the host before node-test (and run node-test with the host's / at the rootfs, -v /:/rootfs)"},
			{Area: AreaKubelet, Name: "config file", Verdict: NotApplicable, Message: reason},
			{Area: AreaKubelet, Name: "cloud provider", Verdict: NotApplicable, Message: reason},
			{Area: AreaKubelet, Name: "max pods", Verdict: NotApplicable, Message: reason},
			{Area: AreaKubelet, Name: "API server", Verdict: NotApplicable, Message: reason},
		}
	}
	return []Check{
		{Area: AreaKubelet, Name: "process", Verdict: Pass,
			Message: fmt.Sprintf("pid %d: %s", k.pid, strings.Join(k.args, " "))},
		checkKubeletConfig(k),
		checkCloudProvider(k),
		checkMaxPods(k),
		checkAPIServer(k),
	}
}

func checkKubeletConfig(k *kubelet) Check {
	c := Check{Area: AreaKubelet, Name: "config file"}
	switch {
	case k.configPath == "":
		c.Verdict, c.Message = Pass, "no --config: the kubelet runs on its flags and defaults"
	case k.configErr != nil:
		c.Verdict, c.Message = Fail, k.configErr.Error()
		c.Fix = "fix the kubelet's --config file " + k.configPath + " (a kubelet.config.k8s.io/v1beta1 KubeletConfiguration)"
	default:
		c.Verdict, c.Message = Pass, k.configPath
		if d := k.flags["config-dir"]; d != "" {
			c.Message += " with the drop-ins of " + d
		}
	}
	return c
}

// checkCloudProvider fails a kubelet run with --cloud-provider: the node
// conformance documentation says to remove the flag to run the test.
func checkCloudProvider(k *kubelet) Check {
	c := Check{Area: AreaKubelet, Name: "cloud provider"}
	if v := k.flags["cloud-provider"]; strings.TrimSpace(v) != "" {
		c.Verdict, c.Message = Fail, fmt.Sprintf("the kubelet runs with --cloud-provider=%s", v)
		c.Fix = "remove --cloud-provider from the kubelet's command line and restart it: the node conformance documentation requires the kubelet to run without a cloud provider for the test"
		return c
	}
	c.Verdict, c.Message = Pass, "no --cloud-provider"
	return c
}

// checkMaxPods fails a kubelet that admits more pods than the documented
// per-node limit; --max-pods overrides the config file, as in the kubelet.
func checkMaxPods(k *kubelet) Check {
	c := Check{Area: AreaKubelet, Name: "max pods"}
	n, where, fix := defaultMaxPods, "the kubelet's default", ""
	if k.config != nil && k.config.MaxPods != 0 {
		n, where = int(k.config.MaxPods), "maxPods in "+k.configPath
		fix = "set maxPods to 110 or less in " + k.configPath + " and restart the kubelet"
	}
	if v, ok := k.flags["max-pods"]; ok {
		i, err := strconv.Atoi(v)
		if err != nil {
			c.Verdict, c.Message = Fail, fmt.Sprintf("the kubelet's --max-pods=%q is not a number", v)
			c.Fix = "set --max-pods to 110 or less, or remove it"
			return c
		}
		n, where, fix = i, "--max-pods", "set --max-pods to 110 or less (or remove it) and restart the kubelet"
	}
	if k.configErr != nil && where == "the kubelet's default" {
		c.Verdict, c.Message = NotApplicable, "the kubelet's config cannot be read (see [kubelet] config file)"
		return c
	}
	if n > maxPodsLimit {
		c.Verdict = Fail
		c.Message = fmt.Sprintf("%d pods (%s): the documented per-node limit for large clusters is %d pods", n, where, maxPodsLimit)
		c.Fix = fix
		return c
	}
	c.Verdict, c.Message = Pass, fmt.Sprintf("%d pods (%s)", n, where)
	return c
}

// checkAPIServer requires the kubelet's kubeconfig to point at the local
// control plane node-test starts.
func checkAPIServer(k *kubelet) Check {
	c := Check{Area: AreaKubelet, Name: "API server"}
	fix := fmt.Sprintf("set server: http://localhost:8080 in the kubelet's kubeconfig %s (node-test starts the control plane there, as the node conformance documentation sets up) and restart the kubelet", k.kubeconfigPath)
	switch {
	case k.kubeconfigPath == "":
		c.Verdict, c.Message = Fail, "the kubelet runs without --kubeconfig: it reaches no API server"
		c.Fix = "start the kubelet with --kubeconfig naming a kubeconfig whose server is http://localhost:8080"
		return c
	case k.kubeconfigErr != nil:
		c.Verdict, c.Message, c.Fix = Fail, k.kubeconfigErr.Error(), fix
		return c
	}
	cluster, _, err := kubeconfigTarget(k.kubeconfig)
	if err != nil {
		c.Verdict, c.Message, c.Fix = Fail, fmt.Sprintf("kubeconfig %s: %v", k.kubeconfigPath, err), fix
		return c
	}
	server := strings.TrimSuffix(cluster.Server, "/")
	if u, err := url.Parse(server); err == nil && u.Path == "" {
		for _, want := range localAPIServers {
			if server == want {
				c.Verdict, c.Message = Pass, fmt.Sprintf("%s (kubeconfig %s): the local control plane", server, k.kubeconfigPath)
				return c
			}
		}
	}
	c.Verdict, c.Fix = Fail, fix
	c.Message = fmt.Sprintf("the kubelet's kubeconfig %s points at %s, not the local control plane (%s)",
		k.kubeconfigPath, cluster.Server, strings.Join(localAPIServers, ", "))
	return c
}
