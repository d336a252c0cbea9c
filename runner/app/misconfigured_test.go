package app

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/node-test/node-test/results"
)

// misconfiguredSamples are, for each area of node-test's own specs, a spec
// and what its failure must say on the local node run with its
// "misconfigured" runtime handler (build/misconfigured-runc: no
// no_new_privs, no seccomp, every capability, no limits, nothing read-only,
// SIGKILL for SIGTERM) and a static pod directory the kubelet does not
// watch. The OOM-kill spec is not among them: with the container's limit
// dropped, the pod's cgroup, which the kubelet limits itself, still
// OOM-kills it, as it should.
var misconfiguredSamples = map[string]string{
	"PodSecurity should run a pod of the restricted level":                               "the container can gain privileges",
	"ContainerSecurityContext should give a container that drops ALL and adds NET_ADMIN": "is not exactly the capabilities the pod adds",
	"ContainerResources should set the container's memory limit":                         "cgroup memory limit is not its 64Mi memory limit",
	"ContainerView should mount a read-only root filesystem":                             "writable, not read-only",
	"ContainerView should mask and make read-only the sensitive /proc paths":             "is not masked in an unprivileged container",
	"ContainerView should set the pod's safe sysctls":                                    "in the container is not the pod's",
	"PodLifecycle should stop the containers' processes on the host":                     "before its SIGTERM handler could run",
	"MirrorPod when a static pod's manifest is written in the static pod directory should recreate the mirror pod with a new UID, the static pod still running, when it is force-deleted": "the directory the kubelet watches",
	"KubeletEndpoints should serve on /configz": "staticPodPath is not the static pod directory",
}

// TestIntegrationOwnSpecsFailOnAMisconfiguredNode proves that each area of
// node-test's own specs fails, naming the broken behaviour, on a node that
// gets it wrong: the local node's misconfigured runtime handler, and a
// static pod directory that is not the kubelet's.
func TestIntegrationOwnSpecsFailOnAMisconfiguredNode(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up) and the test binaries (make build)")
	}
	bin := builtBinDir(t)
	var focus []string
	for name := range misconfiguredSamples {
		focus = append(focus, regexp.QuoteMeta(name))
	}
	// Specs that pass beside them, upstream's on the default handler: the
	// run is long enough for its progress to be followed.
	focus = append(focus, `\[sig-node\] (Deleted pods handling|Kubelet Cgroup Manager) `)
	dir := t.TempDir()
	code, out := run(t, "run", "--rootfs", "/", "--report-dir", dir, "--bin-dir", bin, "--images-dir", filepath.Join(bin, "../images"),
		"--static-pod-dir", t.TempDir(), "--parallelism", "4", "--progress-interval", "5s",
		"--focus", strings.Join(focus, "|"), "--test-args", "--runtime-handler=misconfigured")
	if code != ExitFailures {
		t.Fatalf("exit code %d, want %d (spec failures):\n%s", code, ExitFailures, out)
	}
	checkProgress(t, out, 20)
	r, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range misconfiguredSamples {
		var found *results.Case
		for _, c := range r.Cases() {
			if strings.Contains(c.Name, name) {
				found = &c
				break
			}
		}
		switch {
		case found == nil:
			t.Errorf("no spec %q ran", name)
		case found.Status != results.StatusFailed:
			t.Errorf("spec %q %s on the misconfigured node", name, found.Status)
		case !strings.Contains(found.Message, want):
			t.Errorf("spec %q failed without saying %q:\n%s", name, want, found.Message)
		}
	}
}

// TestIntegrationOwnEnvironmentSpecFailsOnANodeThatDropsIt runs the
// environment spec of ContainerView with the local node's noenv handler
// (build/noenv-runc keeps PATH only): it fails, naming a variable the pod
// sets.
func TestIntegrationOwnEnvironmentSpecFailsOnANodeThatDropsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up) and the test binaries (make build)")
	}
	bin := builtBinDir(t)
	dir := t.TempDir()
	code, out := run(t, "run", "--rootfs", "/", "--report-dir", dir, "--bin-dir", bin, "--images-dir", filepath.Join(bin, "../images"),
		"--focus", regexp.QuoteMeta("ContainerView should give the container its environment"), "--test-args", "--runtime-handler=noenv")
	if code != ExitFailures {
		t.Fatalf("exit code %d, want %d (spec failures):\n%s", code, ExitFailures, out)
	}
	r, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range r.Cases() {
		if c.Status == results.StatusFailed && strings.Contains(c.Name, "ContainerView") && strings.Contains(c.Message, "LITERAL") {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) != 1 {
		t.Errorf("the environment spec did not fail naming LITERAL, the variable its pod sets: %+v", r.Cases())
	}
}

// checkProgress checks that a run's output followed its selection of at
// least min specs: at least two progress lines with growing counts and an
// ETA, and a line naming each failed spec as it failed.
func checkProgress(t *testing.T, out string, min int) {
	t.Helper()
	lines := regexp.MustCompile(`specs (\d+)/(\d+) \(\d+%\) · (\d+) failed · \d+ running · elapsed \S+ · ETA \S+ \(`).FindAllStringSubmatch(out, -1)
	if len(lines) < 2 {
		t.Fatalf("%d progress lines, want at least 2:\n%s", len(lines), out)
	}
	first, _ := strconv.Atoi(lines[0][1])
	last, _ := strconv.Atoi(lines[len(lines)-1][1])
	total, _ := strconv.Atoi(lines[0][2])
	if total < min || last <= first || last != total {
		t.Errorf("progress from %d to %d of %d specs, want growing counts to all of at least %d", first, last, total, min)
	}
	if !regexp.MustCompile(`msg="spec failed: \[sig-node\] \S`).MatchString(out) {
		t.Errorf("no line named a failed spec as it failed:\n%s", out)
	}
}
