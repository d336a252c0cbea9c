package app

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/node-test/node-test/results"
)

// TestBadInputsStopTheRunSayingWhy is README's "What happens when" table
// for the inputs node-test refuses before anything starts: each stops the
// run with exit code 2 within seconds, a message naming what to fix, a
// JUnit whose failed setup testcase says why, and nothing in the report
// directory but the run's own report files.
func TestBadInputsStopTheRunSayingWhy(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	noRuntime := t.TempDir()
	for _, d := range []string{"etc", "usr", "proc"} {
		if err := os.Mkdir(filepath.Join(noRuntime, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := fakeBinDir(t)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		testcase string
		want     []string
	}{
		{"FOCUS not a regex", map[string]string{"FOCUS": "[Conformance"}, nil, "configuration", []string{"FOCUS (--focus) is not a valid regular expression"}},
		{"SKIP not a regex", map[string]string{"SKIP": "(Serial"}, nil, "configuration", []string{"SKIP (--skip) is not a valid regular expression"}},
		{"PARALLELISM 0", map[string]string{"PARALLELISM": "0"}, nil, "configuration", []string{"PARALLELISM (--parallelism) must be at least 1"}},
		{"PARALLELISM -1", map[string]string{"PARALLELISM": "-1"}, nil, "configuration", []string{"PARALLELISM (--parallelism) must be at least 1, got -1"}},
		{"PARALLELISM abc", map[string]string{"PARALLELISM": "abc"}, nil, "configuration", []string{`PARALLELISM="abc"`}},
		{"FLAKE_ATTEMPTS abc", map[string]string{"FLAKE_ATTEMPTS": "abc"}, nil, "configuration", []string{`FLAKE_ATTEMPTS="abc"`}},
		{"CLEANUP_IMAGES yes", map[string]string{"CLEANUP_IMAGES": "yes"}, nil, "configuration", []string{`CLEANUP_IMAGES="yes"`}},
		{"EXTRA_ENVS malformed", map[string]string{"EXTRA_ENVS": "A=1,oops"}, nil, "configuration", []string{"EXTRA_ENVS (--extra-envs) must be k=v pairs"}},
		{"TEST_ARGS flag unknown", map[string]string{"TEST_ARGS": "--system-spec-name=gke"}, []string{"--rootfs", "/"}, "preflight", []string{"no flag -system-spec-name", "remove it"}},
		{"rootfs missing", nil, []string{"--rootfs", "/nonexistent"}, "preflight", []string{"-v /:/rootfs"}},
		{"no runtime socket", nil, []string{"--rootfs", noRuntime}, "preflight", []string{"containerd.sock"}},
		{"API endpoint taken", nil, []string{"--rootfs", "/", "--api-address", taken.Addr().String()}, "preflight",
			[]string{"the local API endpoint " + taken.Addr().String(), "is in use", "--api-address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			start := time.Now()
			// Free addresses, but for the case of a taken one: a control
			// plane of another run may serve 8080 and 6443.
			args := []string{"run", "--report-dir", dir, "--bin-dir", bin, "--api-address", "127.0.0.1:0", "--secure-port", "0"}
			code, out := run(t, append(args, tc.args...)...)
			if code != ExitSetup {
				t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, out)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("the refusal took %v", took)
			}
			msg := setupFailure(t, dir, tc.testcase)
			for _, want := range tc.want {
				if !strings.Contains(out, want) || !strings.Contains(msg, want) {
					t.Errorf("the output and the JUnit's %s failure must say %q:\noutput: %s\njunit: %s", tc.testcase, want, out, msg)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !slices.Contains(append(results.Written(), results.RunManifest), e.Name()) {
					t.Errorf("the refused run left %s in the report directory", e.Name())
				}
			}
		})
	}
}

// node-test cluster refuses what it cannot certify before it creates
// anything in a cluster, with exit code 2 and a JUnit in the out directory
// saying why.
func TestClusterBadInputsSayWhy(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "kubeconfig")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"no image", nil, []string{"--kubeconfig", missing}, []string{"--image is empty", "node-test images push"}},
		{"no kubeconfig", map[string]string{"KUBECONFIG": missing, "HOME": t.TempDir()}, []string{"--image", "node-test:v1"},
			[]string{"no usable kubeconfig", "give --kubeconfig, or set KUBECONFIG"}},
		{"kubeconfig missing", nil, []string{"--image", "node-test:v1", "--kubeconfig", missing}, []string{"no usable kubeconfig (" + missing}},
		{"bad selector", nil, []string{"--image", "node-test:v1", "--nodes", "pool in (a"}, []string{`--nodes "pool in (a" is not a label selector`}},
		{"bad toleration", nil, []string{"--image", "node-test:v1", "--toleration", "gpu"}, []string{`toleration "gpu": want key[=value]:Effect`}},
		{"PARALLELISM abc", map[string]string{"PARALLELISM": "abc"}, []string{"--image", "node-test:v1"}, []string{`PARALLELISM must be a number of at least 1, got "abc"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, output := run(t, append([]string{"cluster", "--out", out}, tc.args...)...)
			if code != ExitSetup {
				t.Fatalf("exit code %d, want %d:\n%s", code, ExitSetup, output)
			}
			msg := setupFailure(t, out, "configuration")
			for _, want := range tc.want {
				if !strings.Contains(output, want) || !strings.Contains(msg, want) {
					t.Errorf("the output and the JUnit must say %q:\noutput: %s\njunit: %s", want, output, msg)
				}
			}
		})
	}
}
