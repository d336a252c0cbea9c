package runner

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/node-test/node-test/results"
)

// Defaults of a run, as upstream's node-test image documents them, but for
// the parallelism (DefaultParallelism).
const (
	DefaultFocus         = `\[Conformance\]|\[NodeConformance\]`
	DefaultSkip          = `\[Flaky\]|\[Serial\]|\[Disruptive\]`
	DefaultFlakeAttempts = 1
	DefaultReportDir     = "/var/result"
	DefaultRootfs        = "/rootfs"
)

// The default PARALLELISM fits the node: ParallelismPerCPU spec processes
// for each of its CPU cores, at most MaxDefaultParallelism. The specs mostly
// wait (for pods to start, for timeouts they test), so a node runs far more
// of them at once than it has cores: the default selection at 24 on two
// cores ran every spec that passed at 8, in 1.19× its longest spec where 8
// took 2.5× (README). Beyond 24, the sum of the specs' times over the
// processes is below the longest spec: the run cannot end sooner.
// Upstream's image runs 8; PARALLELISM sets it.
const (
	ParallelismPerCPU     = 12
	MaxDefaultParallelism = 24
)

// DefaultParallelism is the PARALLELISM of a run on a node of cpus cores.
func DefaultParallelism(cpus int) int {
	return max(1, min(MaxDefaultParallelism, ParallelismPerCPU*cpus))
}

// OptInAreas are node-test's own [Serial] areas the default selection leaves
// out: they fill the node (NodeCapacity). A FOCUS that names one reaches it
// with SKIP left at its default, which then drops its [Serial] term for
// them alone (a Ginkgo label filter keeps every other [Serial] spec out).
var OptInAreas = []string{"NodeCapacity"}

// defaultSkipOptIn is the default SKIP once a FOCUS names an opt-in area.
const defaultSkipOptIn = `\[Flaky\]|\[Disruptive\]`

// ErrInvalidConfig marks a configuration refused before anything starts.
var ErrInvalidConfig = errors.New("invalid configuration")

// Config is one run's configuration: flags override the environment, which
// overrides the defaults.
type Config struct {
	Focus         string        // FOCUS: regex of the specs to run
	Skip          string        // SKIP: regex of the specs not to run
	Parallelism   int           // PARALLELISM: ginkgo --nodes
	FlakeAttempts int           // FLAKE_ATTEMPTS: ginkgo --flake-attempts
	ReportDir     string        // REPORT_PATH: where junit_01.xml and logs go
	TestArgs      string        // TEST_ARGS: extra flags for the conformance binary
	ExtraEnvs     string        // EXTRA_ENVS: k=v,k=v set for the specs
	Rootfs        string        // the host's / as mounted here
	NodeName      string        // the node under test; default: the only one
	NodeTimeout   time.Duration // how long to wait for the Node to register and be Ready
	SpecTimeout   time.Duration // ginkgo --timeout for the whole spec run
	// ProgressInterval is how often the run says how far its specs are.
	ProgressInterval time.Duration
	StaticPodDir     string // the kubelet's static pod dir ($CONFIG_DIR); default: from its config
	BinDir           string // where conformance.test and ginkgo are
	ImagesDir        string // where the image archives are: <ImagesDir>/<arch>/images.tar
	APIAddress       string // the insecure local endpoint, http://<APIAddress>
	SecurePort       int    // the control plane's secure port
	BearerToken      string // also accept this token on the secure port
	// KubeletClientCert and KubeletClientKey are host paths of a client
	// certificate and key the kubelet trusts, for the control plane's
	// requests to the kubelet's API; default: found on the node. The key
	// may be in the certificate's file.
	KubeletClientCert, KubeletClientKey string
	// FailOnValidation stops the run before the specs when a system check
	// fails; by default the specs run anyway and the check's failure is
	// reported beside them.
	FailOnValidation bool
	// RerunFailed is the report directory whose failed specs the run runs
	// again, exactly those (RERUN_FAILED=true or --rerun-failed: the run's
	// own report directory); empty for a run of the selection.
	RerunFailed string
	// CleanupImages removes, once the run ends, the test images it loaded
	// that the node did not hold before (CLEANUP_IMAGES).
	CleanupImages bool
	// LabelFilter is the Ginkgo label filter of the selection, beside FOCUS
	// and SKIP: set by Complete when FOCUS names an opt-in area.
	LabelFilter string
	// Cluster is cluster mode, node-test run in a pod of node-test cluster:
	// no local control plane; the cluster's API server, reached with the
	// pod's service account at APIServer (default: the in-cluster address),
	// and only this node's leftovers cleaned up.
	Cluster   bool
	APIServer string
	// ParallelismDefault says PARALLELISM was given neither as a flag nor
	// in the environment: the run then uses no more processes than it has
	// specs.
	ParallelismDefault bool
	// Hold keeps the process, once the run has written its report, until
	// it is interrupted, saying so on the output: node-test cluster
	// collects the report from the pod then.
	Hold bool
}

// rerunOwnReportDir is --rerun-failed without a directory: the run's own
// report directory.
const rerunOwnReportDir = "REPORT_PATH"

// envNames maps flag names to the environment variables they override.
var envNames = map[string]string{
	"focus":          "FOCUS",
	"skip":           "SKIP",
	"parallelism":    "PARALLELISM",
	"flake-attempts": "FLAKE_ATTEMPTS",
	"report-dir":     "REPORT_PATH",
	"test-args":      "TEST_ARGS",
	"extra-envs":     "EXTRA_ENVS",
	"cleanup-images": "CLEANUP_IMAGES",
	// node-test's own, for a kubelet that refuses anonymous requests.
	"kubelet-client-cert": "KUBELET_CLIENT_CERT",
	"kubelet-client-key":  "KUBELET_CLIENT_KEY",
	// Set by node-test cluster in the node's pod.
	"api-server": "NODE_TEST_API_SERVER",
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() *Config {
	bin := "."
	if exe, err := os.Executable(); err == nil {
		bin = filepath.Dir(exe)
	}
	return &Config{
		Focus:            DefaultFocus,
		Skip:             DefaultSkip,
		Parallelism:      DefaultParallelism(runtime.NumCPU()),
		FlakeAttempts:    DefaultFlakeAttempts,
		ReportDir:        DefaultReportDir,
		Rootfs:           DefaultRootfs,
		NodeTimeout:      3 * time.Minute,
		SpecTimeout:      24 * time.Hour,
		ProgressInterval: 30 * time.Second,
		BinDir:           bin,
		ImagesDir:        DefaultImagesDir(),
		APIAddress:       "127.0.0.1:8080",
		SecurePort:       6443,
	}
}

// AddFlags registers the configuration's flags.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Focus, "focus", c.Focus, "regex of the specs to run (env FOCUS)")
	fs.StringVar(&c.Skip, "skip", c.Skip, "regex of the specs to leave out (env SKIP)")
	fs.IntVar(&c.Parallelism, "parallelism", c.Parallelism, fmt.Sprintf("specs run in parallel, ginkgo --nodes (env PARALLELISM); default: %d per CPU core, at most %d", ParallelismPerCPU, MaxDefaultParallelism))
	fs.IntVar(&c.FlakeAttempts, "flake-attempts", c.FlakeAttempts, "attempts of a failing spec before it counts as failed (env FLAKE_ATTEMPTS)")
	fs.StringVar(&c.ReportDir, "report-dir", c.ReportDir, "directory for junit_01.xml, the summary and the host's logs (env REPORT_PATH)")
	fs.StringVar(&c.TestArgs, "test-args", c.TestArgs, "extra flags for the conformance binary, e.g. --kubelet-root-dir=/data/kubelet (env TEST_ARGS)")
	fs.StringVar(&c.ExtraEnvs, "extra-envs", c.ExtraEnvs, "environment set for the specs, k=v,k=v (env EXTRA_ENVS)")
	fs.StringVar(&c.Rootfs, "rootfs", c.Rootfs, "where the host's / is mounted: /rootfs in the container, / on the host")
	fs.StringVar(&c.NodeName, "node-name", c.NodeName, "the node under test (default: the only registered node)")
	fs.DurationVar(&c.NodeTimeout, "node-timeout", c.NodeTimeout, "how long to wait for the node to register and become Ready")
	fs.DurationVar(&c.SpecTimeout, "spec-timeout", c.SpecTimeout, "time limit of the whole spec run")
	fs.DurationVar(&c.ProgressInterval, "progress-interval", c.ProgressInterval, "how often the run says how far its specs are, besides at each failure")
	fs.StringVar(&c.StaticPodDir, "static-pod-dir", c.StaticPodDir, "the kubelet's static pod directory ($CONFIG_DIR, mounted at the same path); default: read from the kubelet's config")
	fs.StringVar(&c.BinDir, "bin-dir", c.BinDir, "directory holding conformance.test and ginkgo")
	fs.StringVar(&c.ImagesDir, "images-dir", c.ImagesDir, "directory of the test image archives, <dir>/<arch>/images.tar")
	fs.StringVar(&c.APIAddress, "api-address", c.APIAddress, "loopback address of the local API endpoint the kubelet uses (http://localhost:8080)")
	fs.IntVar(&c.SecurePort, "secure-port", c.SecurePort, "the control plane's secure port on 127.0.0.1 (0: any free port)")
	fs.StringVar(&c.BearerToken, "bearer-token", c.BearerToken, "also accept this token on the secure port, for a kubelet set up the upstream way")
	fs.StringVar(&c.KubeletClientCert, "kubelet-client-cert", c.KubeletClientCert,
		"host path of a client certificate the kubelet's client CA signed, presented to the kubelet's API (env KUBELET_CLIENT_CERT); default: the node's apiserver-kubelet-client.crt or kubelet-client-current.pem when the kubelet trusts it")
	fs.StringVar(&c.KubeletClientKey, "kubelet-client-key", c.KubeletClientKey,
		"host path of the key of --kubelet-client-cert (env KUBELET_CLIENT_KEY); default: in the certificate's file")
	fs.BoolVar(&c.FailOnValidation, "fail-on-validation", c.FailOnValidation, "stop before the specs when a system check fails")
	fs.StringVar(&c.RerunFailed, "rerun-failed", c.RerunFailed,
		"run again exactly the specs that failed in the junit_01.xml of this report directory (without a value: the run's own, REPORT_PATH; env RERUN_FAILED=true or a directory); FOCUS and SKIP are then those specs' names")
	fs.Lookup("rerun-failed").NoOptDefVal = rerunOwnReportDir
	fs.BoolVar(&c.CleanupImages, "cleanup-images", c.CleanupImages,
		"once the run ends, remove the test images it loaded that the node did not hold before (env CLEANUP_IMAGES=true); by default they stay, unpinned, to the kubelet's image garbage collection")
	fs.BoolVar(&c.Cluster, "cluster", c.Cluster,
		"cluster mode, as node-test cluster runs it in a pod on the node: the cluster's API server with the pod's service account, no local control plane")
	fs.StringVar(&c.APIServer, "api-server", c.APIServer,
		"in cluster mode, the API server's URL as the node reaches it (env NODE_TEST_API_SERVER); default: the in-cluster address")
	fs.BoolVar(&c.Hold, "hold", c.Hold, "once the report is written, print that it is ready and wait until interrupted (node-test cluster collects it then)")
}

// Complete fills every flag not given on the command line from its
// environment variable, when that is set.
func (c *Config) Complete(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	_, inEnv := lookup(envNames["parallelism"])
	c.ParallelismDefault = !fs.Changed("parallelism") && !inEnv
	for flagName, env := range envNames {
		if fs.Changed(flagName) {
			continue
		}
		v, ok := lookup(env)
		if !ok {
			continue
		}
		if err := fs.Set(flagName, v); err != nil {
			return fmt.Errorf("%w: %s=%q: %v", ErrInvalidConfig, env, v, err)
		}
	}
	if !fs.Changed("rerun-failed") {
		switch v, _ := lookup("RERUN_FAILED"); v {
		case "", "false":
		case "true":
			c.RerunFailed = rerunOwnReportDir
		default:
			c.RerunFailed = v
		}
	}
	if c.RerunFailed == rerunOwnReportDir {
		c.RerunFailed = c.ReportDir
	}
	c.optIn(fs.Changed("focus"), fs.Changed("skip"))
	// The specs run from another directory (ginkgo starts them beside the
	// binary): every path they are given must be absolute.
	for _, p := range []*string{&c.ReportDir, &c.StaticPodDir, &c.BinDir, &c.ImagesDir} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidConfig, *p, err)
		}
		*p = abs
	}
	return nil
}

// optIn lets a FOCUS given by the user reach the opt-in areas it names,
// when SKIP is left at its default: their [Serial] specs run, no other
// [Serial] spec does.
func (c *Config) optIn(focusGiven, skipGiven bool) {
	if !focusGiven || skipGiven || c.Skip != DefaultSkip {
		return
	}
	var named []string
	for _, area := range OptInAreas {
		if strings.Contains(c.Focus, area) {
			named = append(named, area)
		}
	}
	if len(named) == 0 {
		return
	}
	c.Skip = defaultSkipOptIn
	c.LabelFilter = "!Serial || " + strings.Join(named, " || ")
}

// Validate refuses a configuration that cannot run, naming the variable or
// flag to fix.
func (c *Config) Validate() error {
	var errs []error
	for _, re := range []struct{ name, env, value string }{
		{"--focus", "FOCUS", c.Focus},
		{"--skip", "SKIP", c.Skip},
	} {
		if _, err := regexp.Compile(re.value); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s) is not a valid regular expression: %q: %v", re.env, re.name, re.value, err))
		}
	}
	if c.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("PARALLELISM (--parallelism) must be at least 1, got %d", c.Parallelism))
	}
	if c.FlakeAttempts < 1 {
		errs = append(errs, fmt.Errorf("FLAKE_ATTEMPTS (--flake-attempts) must be at least 1, got %d", c.FlakeAttempts))
	}
	if c.ProgressInterval <= 0 {
		errs = append(errs, fmt.Errorf("--progress-interval must be positive, got %s", c.ProgressInterval))
	}
	if c.NodeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--node-timeout must be positive, got %s", c.NodeTimeout))
	}
	if c.ReportDir == "" {
		errs = append(errs, errors.New("REPORT_PATH (--report-dir) is empty: give the directory for junit_01.xml"))
	}
	switch {
	case c.KubeletClientKey != "" && c.KubeletClientCert == "":
		errs = append(errs, errors.New("KUBELET_CLIENT_KEY (--kubelet-client-key) is set without KUBELET_CLIENT_CERT (--kubelet-client-cert): give the certificate too"))
	case c.KubeletClientCert != "" && !filepath.IsAbs(c.KubeletClientCert):
		errs = append(errs, fmt.Errorf("KUBELET_CLIENT_CERT (--kubelet-client-cert) must be an absolute path on the host, got %q", c.KubeletClientCert))
	case c.KubeletClientKey != "" && !filepath.IsAbs(c.KubeletClientKey):
		errs = append(errs, fmt.Errorf("KUBELET_CLIENT_KEY (--kubelet-client-key) must be an absolute path on the host, got %q", c.KubeletClientKey))
	}
	if _, err := c.ExtraEnvMap(); err != nil {
		errs = append(errs, err)
	}
	if c.APIServer != "" {
		if u, err := url.Parse(c.APIServer); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("NODE_TEST_API_SERVER (--api-server) must be an https:// URL of the cluster's API server, got %q", c.APIServer))
		}
		if !c.Cluster {
			errs = append(errs, errors.New("NODE_TEST_API_SERVER (--api-server) is for cluster mode (--cluster): a run of its own starts its control plane"))
		}
	}
	if c.Cluster && c.NodeName == "" {
		errs = append(errs, errors.New("cluster mode (--cluster) needs --node-name: the cluster has more than this node"))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// ExtraEnvMap parses EXTRA_ENVS.
func (c *Config) ExtraEnvMap() (map[string]string, error) {
	out := map[string]string{}
	for kv := range strings.SplitSeq(c.ExtraEnvs, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("EXTRA_ENVS (--extra-envs) must be k=v pairs separated by commas, got %q", kv)
		}
		out[k] = v
	}
	return out, nil
}

// String is the effective configuration, printed once at the start of a run.
// About is what the run's summary says of node-test and the selection
// before anything runs.
func (c *Config) About() results.About {
	return results.About{NodeTest: Build(), Kubernetes: KubernetesVersion, Focus: c.Focus, Skip: c.Skip, Node: c.NodeName, Parallelism: c.Parallelism}
}

func (c *Config) String() string {
	labels := ""
	if c.LabelFilter != "" {
		labels = fmt.Sprintf(" label-filter=%q", c.LabelFilter)
	}
	return fmt.Sprintf("FOCUS=%q SKIP=%q%s PARALLELISM=%d FLAKE_ATTEMPTS=%d REPORT_PATH=%q TEST_ARGS=%q EXTRA_ENVS=%q CLEANUP_IMAGES=%t rootfs=%q node-name=%q node-timeout=%s api=http://%s",
		c.Focus, c.Skip, labels, c.Parallelism, c.FlakeAttempts, c.ReportDir, c.TestArgs, c.ExtraEnvs, c.CleanupImages, c.Rootfs, c.NodeName, c.NodeTimeout, c.APIAddress)
}
