package framework

import (
	"context"
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	"k8s.io/utils/ptr"
)

// NamespaceKinds are the kinds of Linux namespace a pod's spec decides:
// /proc/<pid>/ns/<kind>.
var NamespaceKinds = []string{"net", "pid", "ipc", "uts"}

// HostObserver is a privileged pod in the host's PID namespace, run with
// the node's default runtime handler, through which a spec looks at the
// host as the host sees itself: its processes and their namespaces, and its
// mount namespace. The host's namespaces are the kubelet's: those the
// runtime's "host" means to the kubelet (PID 1 may not let even root read
// its namespaces). Its namespace must allow privileged pods.
type HostObserver struct {
	f    *e2eframework.Framework
	name string
}

// StartHostObserver runs a HostObserver in the framework's namespace and
// waits until it runs.
func StartHostObserver(ctx context.Context, f *e2eframework.Framework) *HostObserver {
	ginkgo.GinkgoHelper()
	pod := &v1.Pod{}
	pod.Name = "host-observer-" + rand.String(5)
	pod.Spec.HostPID = true
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	pod.Spec.Containers = []v1.Container{BusyboxContainer("observer", "sleep 3600")}
	pod.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: ptr.To(true)}
	pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)
	return &HostObserver{f: f, name: pod.Name}
}

// Exec runs script with sh -c in the observer and returns its output,
// trimmed; a script that fails fails the spec.
func (o *HostObserver) Exec(script string) string {
	ginkgo.GinkgoHelper()
	out, stderr, err := e2epod.ExecCommandInContainerWithFullOutput(o.f, o.name, "observer", "sh", "-c", script)
	e2eframework.ExpectNoError(err, "run %q in the host observer pod: %s", script, stderr)
	return strings.TrimSpace(out)
}

// KubeletPID returns the host's PID of the kubelet.
func (o *HostObserver) KubeletPID() string {
	ginkgo.GinkgoHelper()
	pids := strings.Fields(o.Exec(`for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = kubelet ] && echo ${p#/proc/}; done; true`))
	if len(pids) != 1 {
		e2eframework.Failf("the host has %d kubelet processes, want 1: %v", len(pids), pids)
	}
	return pids[0]
}

// HostNamespaces returns the host's namespaces, the kubelet's, as
// Namespaces does.
func (o *HostObserver) HostNamespaces() map[string]string {
	ginkgo.GinkgoHelper()
	return o.Namespaces(o.KubeletPID())
}

// OnHost runs script with sh -c in the host's mount namespace, the
// kubelet's, and returns its output; script must hold no single quote.
func (o *HostObserver) OnHost(script string) string {
	ginkgo.GinkgoHelper()
	return o.Exec(fmt.Sprintf("nsenter -t %s -m -- sh -c '%s'", o.KubeletPID(), script))
}

// PIDOf returns the host's PID of the one process whose command line holds
// marker (a MarkedContainer's shell).
func (o *HostObserver) PIDOf(marker string) string {
	ginkgo.GinkgoHelper()
	// [m]arker: a pattern that does not match grep's own command line.
	files := strings.Fields(o.Exec(fmt.Sprintf("grep -l '[%s]%s' /proc/[0-9]*/cmdline 2>/dev/null; true", marker[:1], marker[1:])))
	var pids []string
	for _, f := range files {
		pids = append(pids, strings.TrimSuffix(strings.TrimPrefix(f, "/proc/"), "/cmdline"))
	}
	if len(pids) != 1 {
		e2eframework.Failf("the host has %d processes with %s in their command line, want 1: %v", len(pids), marker, pids)
	}
	return pids[0]
}

// Namespaces returns the namespaces of the host's process pid, by kind of
// NamespaceKinds, as the host names them: "net:[4026531840]".
func (o *HostObserver) Namespaces(pid string) map[string]string {
	ginkgo.GinkgoHelper()
	var script strings.Builder
	for _, kind := range NamespaceKinds {
		fmt.Fprintf(&script, "echo %s=$(readlink /proc/%s/ns/%s); ", kind, pid, kind)
	}
	out := map[string]string{}
	for _, line := range strings.Split(o.Exec(script.String()), "\n") {
		if kind, ns, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			if ns == "" {
				e2eframework.Failf("the host observer cannot read the %s namespace of process %s", kind, pid)
			}
			out[kind] = ns
		}
	}
	return out
}

// MarkedContainer is a busybox container called name whose shell runs
// script with a marker of its own in its command line ($0), by which a
// HostObserver finds its process; it returns the container and the marker.
// The shell stays (script runs in the background; a shell would exec its
// last command) and exits on SIGTERM.
func MarkedContainer(name, script string) (v1.Container, string) {
	marker := "node-test-marker-" + rand.String(8)
	c := BusyboxContainer(name, "trap 'exit 0' TERM; "+script+" & wait")
	c.Command = append(c.Command, marker)
	return c, marker
}
