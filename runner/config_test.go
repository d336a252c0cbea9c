package runner

import (
	"errors"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	c := NewDefaultConfig()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	c.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := c.Complete(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestConfigPrecedenceFlagOverEnvOverDefault(t *testing.T) {
	c, err := parse(t, []string{"--focus=FromFlag", "--parallelism=3"}, map[string]string{
		"FOCUS": "FromEnv", "SKIP": "SkipEnv", "PARALLELISM": "5", "FLAKE_ATTEMPTS": "2",
		"REPORT_PATH": t.TempDir(), "TEST_ARGS": "--kubelet-root-dir=/data", "EXTRA_ENVS": "a=1,b=2",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Focus != "FromFlag" || c.Parallelism != 3 {
		t.Errorf("flags must win: focus %q parallelism %d", c.Focus, c.Parallelism)
	}
	if c.Skip != "SkipEnv" || c.FlakeAttempts != 2 || c.TestArgs != "--kubelet-root-dir=/data" {
		t.Errorf("env must override defaults: skip %q flake %d test-args %q", c.Skip, c.FlakeAttempts, c.TestArgs)
	}
	envs, _ := c.ExtraEnvMap()
	if envs["a"] != "1" || envs["b"] != "2" || len(envs) != 2 {
		t.Errorf("EXTRA_ENVS parsed as %v", envs)
	}
}

func TestDefaultParallelismFitsTheNode(t *testing.T) {
	for cpus, want := range map[int]int{0: 1, 1: 12, 2: 24, 4: 24, 64: 24} {
		if got := DefaultParallelism(cpus); got != want {
			t.Errorf("DefaultParallelism(%d) = %d, want %d", cpus, got, want)
		}
	}
}

// PARALLELISM given as a flag or in the environment is the user's; only
// the default may be cut to the selection's size.
func TestConfigParallelismDefault(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, true},
		{[]string{"--parallelism=30"}, nil, false},
		{nil, map[string]string{"PARALLELISM": "30"}, false},
	} {
		c, err := parse(t, tc.args, tc.env)
		if err != nil || c.ParallelismDefault != tc.want {
			t.Errorf("args %v env %v: ParallelismDefault %t (%v), want %t", tc.args, tc.env, c.ParallelismDefault, err, tc.want)
		}
	}
}

func TestConfigDefaultsAreUpstreams(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Parallelism != DefaultParallelism(runtime.NumCPU()) || c.FlakeAttempts != 1 || c.ReportDir != "/var/result" || c.Rootfs != "/rootfs" {
		t.Errorf("defaults: %s", c)
	}
	for _, spec := range []string{"[sig-node] Pods should be updated [NodeConformance] [Conformance]", "[sig-node] X [NodeConformance]"} {
		if !mustMatch(t, c.Focus, spec) || mustMatch(t, c.Skip, spec) {
			t.Errorf("default selection leaves out %q", spec)
		}
	}
	for _, spec := range []string{"[sig-node] A [Serial] [NodeConformance]", "[sig-node] B [Flaky] [Conformance]", "[sig-node] C [Disruptive] [NodeConformance]"} {
		if !mustMatch(t, c.Skip, spec) {
			t.Errorf("default selection takes %q", spec)
		}
	}
}

func TestConfigRefusesBadInputNamingTheVariable(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"bad FOCUS":            {env: map[string]string{"FOCUS": `[Conformance`}, want: "FOCUS (--focus) is not a valid regular expression"},
		"bad SKIP flag":        {args: []string{"--skip=(a"}, want: "SKIP (--skip) is not a valid regular expression"},
		"zero nodes":           {env: map[string]string{"PARALLELISM": "0"}, want: "PARALLELISM (--parallelism) must be at least 1"},
		"not a number":         {env: map[string]string{"PARALLELISM": "many"}, want: `PARALLELISM="many"`},
		"bad EXTRA_ENVS":       {env: map[string]string{"EXTRA_ENVS": "a=1,oops"}, want: "EXTRA_ENVS (--extra-envs) must be k=v pairs"},
		"empty REPORT":         {env: map[string]string{"REPORT_PATH": ""}, want: "REPORT_PATH (--report-dir) is empty"},
		"flake attempts0":      {args: []string{"--flake-attempts=0"}, want: "FLAKE_ATTEMPTS"},
		"client key alone":     {env: map[string]string{"KUBELET_CLIENT_KEY": "/k.pem"}, want: "KUBELET_CLIENT_KEY (--kubelet-client-key) is set without KUBELET_CLIENT_CERT"},
		"relative client cert": {args: []string{"--kubelet-client-cert=pki/c.pem"}, want: `KUBELET_CLIENT_CERT (--kubelet-client-cert) must be an absolute path on the host, got "pki/c.pem"`},
		"api server alone":     {env: map[string]string{"NODE_TEST_API_SERVER": "https://10.0.0.1:6443"}, want: "NODE_TEST_API_SERVER (--api-server) is for cluster mode (--cluster)"},
		"api server over http": {args: []string{"--cluster", "--node-name=n1", "--api-server=http://10.0.0.1:8080"}, want: `must be an https:// URL of the cluster's API server, got "http://10.0.0.1:8080"`},
		"cluster without node": {args: []string{"--cluster"}, want: "cluster mode (--cluster) needs --node-name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parse(t, tc.args, tc.env)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalidConfig saying %q", err, tc.want)
			}
		})
	}
}

func TestGinkgoArgsPassTheContract(t *testing.T) {
	c, err := parse(t, nil, map[string]string{"FOCUS": "MirrorPod", "SKIP": "", "PARALLELISM": "2", "FLAKE_ATTEMPTS": "3",
		"TEST_ARGS": "--kubelet-root-dir=/data/kubelet --delete-namespace=false", "EXTRA_ENVS": "A=1"})
	if err != nil {
		t.Fatal(err)
	}
	c.BinDir, c.ReportDir = "/bin", "/var/result"
	got := strings.Join(GinkgoArgs(c, Target{APIURL: "http://127.0.0.1:8080", NodeName: "node1", RuntimeEndpoint: "unix:///rootfs/run/crio/crio.sock"}), " ")
	for _, want := range []string{"--nodes=2 ", "--flake-attempts=3 ", "--focus=MirrorPod ",
		"/bin/conformance.test -- --host=http://127.0.0.1:8080 --report-dir=/var/result --node-name=node1 --container-runtime-endpoint=unix:///rootfs/run/crio/crio.sock --extra-envs=A=1 --kubelet-root-dir=/data/kubelet --delete-namespace=false"} {
		if !strings.Contains(got, want) {
			t.Errorf("ginkgo args %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "--skip") {
		t.Errorf("an empty SKIP must not become --skip=: %q", got)
	}
}

func mustMatch(t *testing.T, re, s string) bool {
	t.Helper()
	ok, err := regexp.MatchString(re, s)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestConfigMakesPathsAbsolute(t *testing.T) {
	c, err := parse(t, []string{"--static-pod-dir=manifests", "--report-dir=results"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(c.StaticPodDir) || !filepath.IsAbs(c.ReportDir) || filepath.Base(c.StaticPodDir) != "manifests" {
		t.Errorf("paths not made absolute: %q %q", c.StaticPodDir, c.ReportDir)
	}
}

func TestConfigFocusReachesAnOptInAreaWithTheDefaultSkip(t *testing.T) {
	serialArea := "[sig-node] NodeCapacity [Serial] should run as many pods as it allocates"
	for _, tc := range []struct {
		name        string
		args        []string
		env         map[string]string
		skip, label string
	}{
		{name: "default selection", skip: DefaultSkip},
		{name: "FOCUS names the area", env: map[string]string{"FOCUS": "NodeCapacity"},
			skip: `\[Flaky\]|\[Disruptive\]`, label: "!Serial || NodeCapacity"},
		{name: "--focus names it beside others", args: []string{`--focus=NodeCapacity|\[NodeConformance\]`},
			skip: `\[Flaky\]|\[Disruptive\]`, label: "!Serial || NodeCapacity"},
		{name: "SKIP given", env: map[string]string{"FOCUS": "NodeCapacity", "SKIP": DefaultSkip}, skip: DefaultSkip},
		{name: "FOCUS names no opt-in area", env: map[string]string{"FOCUS": "MirrorPod"}, skip: DefaultSkip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Skip != tc.skip || c.LabelFilter != tc.label {
				t.Fatalf("SKIP %q, label filter %q; want %q, %q", c.Skip, c.LabelFilter, tc.skip, tc.label)
			}
			if tc.label == "" {
				if !mustMatch(t, c.Skip, serialArea) {
					t.Errorf("SKIP %q takes the [Serial] area", c.Skip)
				}
				return
			}
			if mustMatch(t, c.Skip, serialArea) {
				t.Errorf("SKIP %q leaves out the area FOCUS names", c.Skip)
			}
			args := strings.Join(GinkgoArgs(c, Target{APIURL: "http://127.0.0.1:8080"}), " ")
			if !strings.Contains(args, "--label-filter="+tc.label+" ") {
				t.Errorf("ginkgo args %q lack the label filter", args)
			}
			if !strings.Contains(c.String(), "label-filter=") {
				t.Errorf("the printed configuration hides the label filter: %s", c)
			}
		})
	}
}
