package app

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-test/node-test/images"
	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/host"
)

// misconfiguredSamples are, for each area of node-test's own specs, a spec
// and what its failure must say on the local node run with its
// "misconfigured" runtime handler (build/misconfigured-runc: no
// no_new_privs, seccomp inverted, every capability, no limits, nothing
// read-only, 256 open files, namespaces not the host's nor the pod's, mounts
// private, no resolv.conf or hosts file, no termination message file, / as
// the working directory whatever the image or the pod say, exec'd
// processes without the container's environment, a TTY that is not the
// process's stdin, SIGKILL for SIGTERM) and a static pod directory the
// kubelet does not watch. The log rotation spec is not among them: the
// runtime reopens a container's log in its CRI server, which no runc
// wrapper reaches; make e2e-misconfigured shows it failing behind a CRI
// endpoint that does not reopen logs (cmd/misconfigured-cri). The OOM-kill
// spec is not among them: with the container's limit dropped, the pod's cgroup, which the
// kubelet limits itself, can still OOM-kill it, as it should.
var misconfiguredSamples = map[string]string{
	"PodSecurity should run a pod of the restricted level":                               "the container can gain privileges",
	"ContainerSecurityContext should give a container that drops ALL and adds NET_ADMIN": "is not exactly the capabilities the pod adds",
	"ContainerResources should set the container's memory limit":                         "cgroup memory limit is not its 64Mi memory limit",
	"ContainerView should mount a read-only root filesystem":                             "writable, not read-only",
	"ContainerView should mask and make read-only the sensitive /proc paths":             "is not masked in an unprivileged container",
	"ContainerView should set the pod's safe sysctls":                                    "in the container is not the pod's",
	"PodLifecycle should stop the containers' processes on the host":                     "before its SIGTERM handler could run",
	"MirrorPod when a static pod's manifest is written in the static pod directory should recreate the mirror pod with a new UID, the static pod still running, when it is force-deleted": "the directory the kubelet watches",
	"KubeletEndpoints should serve on /configz":                                                    "staticPodPath is not the static pod directory",
	"PodNamespaces should run a pod with hostNetwork, hostPID and hostIPC":                         "namespace is not the host's",
	"PodNamespaces should give a pod without them network, PID, IPC and UTS namespaces of its own": "are in different net namespaces",
	"PodNamespaces should put a pod's containers in one PID namespace":                             "with shareProcessNamespace are in different PID namespaces",
	"MountPropagation should propagate mounts between the host and a volume":                       "the host does not see the mount the Bidirectional container made",
	"RuntimeNetworking should write a pod's dnsConfig into /etc/resolv.conf exactly":               "/etc/resolv.conf",
	"RuntimeNetworking should add a pod's hostAliases to its containers' /etc/hosts":               "/etc/hosts has no line",
	"Seccomp should deny a container under RuntimeDefault a syscall":                               "the RuntimeDefault container runs without a seccomp filter",
	"Seccomp should enforce a Localhost profile from the kubelet's seccomp directory":              "runs without a seccomp filter",
	"Seccomp should not filter the syscalls of a privileged container":                             "the privileged container runs with a seccomp filter",
	"ContainerProcess should start a container's process with open-files limits":                   "soft limit of open files is 256, below 1024",
	"ContainerProcess should report the termination message a container writes":                    `reported termination message is "", not what the container wrote`,
	"RuntimeNetworking should forward a hostPort of the node's address":                            "does not reach the container's port 8080",
	"ImageConfig should run a container as its image configures it":                                `working directory is "/", not the image's`,
	"ImageConfig should let the pod's workingDir":                                                  `working directory is "/", not the pod's`,
	"ContainerStreams should exec a command with a TTY":                                            "lacks the container's environment",
	"ContainerStreams should forward a port of a pod through the kubelet":                          "port-forward to port 8080 of the pod did not reach its server",
	"ContainerStreams should attach to a running container's TTY":                                  "the attached container's process did not answer what the client typed",
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
	_, _, cri := localCRI(t)
	started := time.Now()
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
	checkNothingLeft(t, cri, dir, started, "no pod or container of the run")

	// Run again exactly the specs that failed, with CLEANUP_IMAGES, the
	// busybox image they use removed from the node first: the run loads it,
	// and removes it once it ends.
	var failed []string
	for _, c := range r.Cases() {
		if c.Status == results.StatusFailed {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) < 2 {
		t.Fatalf("%d specs failed, want at least 2 to run again", len(failed))
	}
	busybox := carriedRef(t, "busybox")
	removeImage(t, cri, busybox)
	again := t.TempDir()
	started = time.Now()
	code, out = run(t, "run", "--rootfs", "/", "--report-dir", again, "--bin-dir", bin, "--images-dir", filepath.Join(bin, "../images"),
		"--rerun-failed="+dir, "--cleanup-images", "--static-pod-dir", t.TempDir(), "--parallelism", "4",
		"--test-args", "--runtime-handler=misconfigured")
	if code != ExitFailures {
		t.Fatalf("the re-run's exit code %d, want %d (spec failures):\n%s", code, ExitFailures, out)
	}
	r2, err := results.Load(again)
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, c := range r2.Cases() {
		if c.Suite != results.SetupSuite && c.Suite != results.ValidationSuite {
			ran = append(ran, c.Name)
		}
	}
	slices.Sort(failed)
	slices.Sort(ran)
	if !slices.Equal(ran, failed) {
		t.Errorf("the re-run ran %d specs:\n%s\nwant exactly the %d that failed:\n%s", len(ran), strings.Join(ran, "\n"), len(failed), strings.Join(failed, "\n"))
	}
	checkNothingLeft(t, cri, again, started, "the run loaded (CLEANUP_IMAGES)")
	if st, err := cri.Image.ImageStatus(context.Background(), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: busybox}}); err != nil || st.GetImage() != nil {
		t.Errorf("%s, which the re-run loaded, is still on the node with CLEANUP_IMAGES (%v)", busybox, err)
	}
}

// localCRI connects to the local node's CRI runtime, which it returns
// with the host and the runtime found there.
func localCRI(t *testing.T) (*host.Host, host.Runtime, *host.CRI) {
	t.Helper()
	h, err := host.New("/")
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.Runtime("")
	if err != nil {
		t.Fatal(err)
	}
	cri, err := h.DialCRI(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cri.Close() })
	return h, r, cri
}

// carriedRef is the reference of the carried image called name.
func carriedRef(t *testing.T, name string) string {
	t.Helper()
	for _, img := range images.Registry() {
		if img.Name == name {
			return img.Ref
		}
	}
	t.Fatalf("node-test carries no image %s", name)
	return ""
}

// removeImage removes ref from the node's runtime.
func removeImage(t *testing.T, cri *host.CRI, ref string) {
	t.Helper()
	if _, err := cri.Image.RemoveImage(context.Background(), &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}}); err != nil {
		t.Fatalf("remove %s from the node: %v", ref, err)
	}
}

// checkNothingLeft checks that the run reported in dir, started at
// started, left no pod sandbox or container on the node (crictl pods and
// crictl ps -a show none younger), and that its summary says what it left,
// with want.
func checkNothingLeft(t *testing.T, cri *host.CRI, dir string, started time.Time, want string) {
	t.Helper()
	ctx := context.Background()
	pods, err := cri.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.GetItems() {
		if p.GetCreatedAt() >= started.UnixNano() {
			t.Errorf("the run left the pod sandbox of %s/%s on the node (%s)", p.GetMetadata().GetNamespace(), p.GetMetadata().GetName(), p.GetState())
		}
	}
	containers, err := cri.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range containers.GetContainers() {
		if c.GetCreatedAt() >= started.UnixNano() {
			t.Errorf("the run left the container %s of pod %s on the node (%s)", c.GetMetadata().GetName(), c.GetLabels()["io.kubernetes.pod.name"], c.GetState())
		}
	}
	sum, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if line := regexp.MustCompile(`(?m)^left on node .*$`).Find(sum); !strings.Contains(string(line), want) {
		t.Errorf("the summary's line of what the run left on the node does not say %q:\n%s", want, sum)
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
