package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/controlplane"
	"github.com/node-test/node-test/runner/host"
	"github.com/node-test/node-test/runner/validate"
)

// preflightPhase checks what a run needs before anything starts: the rootfs,
// the report directory, the test binaries, a selection of at least one spec,
// TEST_ARGS the binary takes, and a container runtime.
type preflightPhase struct{}

func (*preflightPhase) Name() string { return "preflight" }

func (*preflightPhase) Run(ctx context.Context, rc *RunContext) error {
	h, err := host.New(rc.Config.Rootfs)
	if err != nil {
		return err
	}
	// The node's own kubelet and runtime, where nodes share the host.
	h.Node = rc.Config.NodeName
	rc.mu.Lock()
	rc.Host = h
	rc.mu.Unlock()
	// The control plane's addresses, free now: found taken only once the
	// host checks ran, they would waste them. A run in a cluster starts none.
	for _, a := range []struct{ what, addr, fix string }{
		{"the local API endpoint", rc.Config.APIAddress,
			"stop what serves it (a control plane of another run, node-test controlplane), or give another with --api-address (the kubelet must then be pointed there)"},
		{"the control plane's secure port", net.JoinHostPort("127.0.0.1", strconv.Itoa(rc.Config.SecurePort)),
			"stop what serves it, or give another with --secure-port (0: any free port)"},
	} {
		if strings.HasSuffix(a.addr, ":0") || rc.Config.Cluster {
			continue
		}
		if err := controlplane.CheckFree(a.addr); err != nil {
			return fmt.Errorf("%s %s: %w: %s", a.what, a.addr, err, a.fix)
		}
	}
	for _, bin := range []string{"conformance.test", "ginkgo"} {
		if _, err := os.Stat(filepath.Join(rc.Config.BinDir, bin)); err != nil {
			return fmt.Errorf("%s not found in %s: build it (make build) or give --bin-dir", bin, rc.Config.BinDir)
		}
	}
	// The selection and TEST_ARGS, from a dry run: a selection of no spec, or
	// a flag the binary refuses, would otherwise show only once the control
	// plane, the node and the images are ready.
	specs, err := ListSpecs(ctx, rc.Config)
	if err != nil {
		return err
	}
	if len(specs) == 0 {
		return fmt.Errorf("FOCUS %q and SKIP %q select no spec: correct them (node-test list --focus=... --skip=... prints what a selection runs)",
			rc.Config.Focus, rc.Config.Skip)
	}
	rc.mu.Lock()
	rc.Specs = specs
	// A default parallelism above the selection would only start
	// processes with nothing to run.
	if rc.Config.ParallelismDefault && len(specs) < rc.Config.Parallelism {
		rc.Config.Parallelism = len(specs)
		rc.About.Parallelism = len(specs)
	}
	rc.mu.Unlock()
	rc.Logger.Info("specs selected", "specs", len(specs), "parallelism", rc.Config.Parallelism)
	r, err := h.Runtime(validate.RuntimeEndpoint(h))
	if err != nil {
		return err
	}
	rc.Runtime = r
	h.RuntimeSocket = r.Socket
	// The kubelet's endpoint may be a CRI proxy in front of the runtime:
	// the specs talk to the endpoint, as the kubelet does, while the images
	// are loaded into, the logs read from and the pods removed through the
	// runtime behind it.
	if b, behind := h.Behind(ctx, r); behind {
		h.RuntimeSocket = b.Socket
		rc.Logger.Info("container runtime", "name", b.Name, "socket", b.Socket, "behind the kubelet's CRI endpoint", r.Socket)
	} else {
		rc.Logger.Info("container runtime", "name", r.Name, "socket", r.Socket)
	}
	if rc.Config.StaticPodDir == "" {
		// The specs write static pods at the host's path: the documented run
		// mounts $CONFIG_DIR at the same path in the container.
		dir, err := validate.StaticPodDir(h)
		if err != nil {
			rc.Logger.Warn("the kubelet's static pod directory is unknown: static pod specs will skip (give --static-pod-dir)", "error", err.Error())
		} else {
			rc.mu.Lock()
			rc.Config.StaticPodDir = dir
			rc.mu.Unlock()
			rc.Logger.Info("the kubelet's static pod directory", "dir", dir)
		}
	}
	return nil
}

// CheckReportDir creates the report directory and proves it writable.
func CheckReportDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("REPORT_PATH %s cannot be created: %w (mount a writable directory there: -v $LOG_DIR:%s)", dir, err, dir)
	}
	f, err := os.CreateTemp(dir, ".node-test-probe-*")
	if err != nil {
		return fmt.Errorf("REPORT_PATH %s is not writable: %w (mount a writable directory there: -v $LOG_DIR:%s)", dir, err, dir)
	}
	f.Close()
	return os.Remove(f.Name())
}

// validationPhase verifies the host: system, runtime, kubelet, PKI. Each
// check is a testcase of its own; a failed check fails the run, and stops it
// here only with --fail-on-validation.
type validationPhase struct{}

func (*validationPhase) Name() string { return "system verification" }

func (*validationPhase) Run(ctx context.Context, rc *RunContext) error {
	checks := validate.Run(ctx, rc.Host)
	if rc.Config.Cluster {
		checks = clusterChecks(checks, rc.Logger)
	}
	for _, c := range checks {
		rc.addCheck(c)
	}
	if err := validate.Failed(checks); err != nil {
		if rc.Config.FailOnValidation {
			return err
		}
		rc.Logger.Warn("system verification failed; running the specs anyway (--fail-on-validation stops here)", "error", err.Error())
	}
	return nil
}

// controlPlanePhase starts the local control plane the kubelet reaches at
// http://localhost:8080.
type controlPlanePhase struct {
	cp *controlplane.ControlPlane
}

func (*controlPlanePhase) Name() string { return "control plane" }

func (p *controlPlanePhase) Run(ctx context.Context, rc *RunContext) error {
	cfg := controlplane.NewConfig()
	cfg.InsecureAddress = rc.Config.APIAddress
	cfg.SecurePort = rc.Config.SecurePort
	cfg.BearerToken = rc.Config.BearerToken
	kc, check, err := validate.ChooseKubeletClient(rc.Host, rc.Config.KubeletClientCert, rc.Config.KubeletClientKey, time.Now())
	rc.addCheck(check)
	if err != nil {
		return err
	}
	cfg.KubeletClientCert, cfg.KubeletClientKey, cfg.NoKubeletClientCert = kc.CertPEM, kc.KeyPEM, kc.None
	cfg.LogDir = filepath.Join(rc.Config.ReportDir, results.ControlPlaneLogDir)
	cfg.DataDir = rc.Host.Path(StateDir)
	cfg.Logger = rc.Logger.With(slog.String("phase", "control plane"))
	cp, err := controlplane.New(cfg)
	if err != nil {
		return err
	}
	if err := cp.Start(ctx); err != nil {
		return err
	}
	p.cp = cp
	rc.APIURL = cp.InsecureURL()
	c, err := kubernetes.NewForConfig(&rest.Config{Host: rc.APIURL, QPS: 50, Burst: 100})
	if err != nil {
		return fmt.Errorf("create API client: %w", err)
	}
	rc.mu.Lock()
	rc.Client = c
	rc.mu.Unlock()
	rc.Logger.Info("control plane ready", "url", rc.APIURL, "secure", cp.SecureURL(), "took", cp.ReadyDuration().Round(time.Millisecond))
	// A run that was killed left what its teardown would have deleted.
	return deleteLeftovers(ctx, rc)
}

// deleteLeftovers deletes what specs create and a run removes once its
// specs end: their static pods' manifests, their namespaces and the
// RuntimeClasses.
//
// In a cluster, only this node's: the namespaces its specs labelled with its
// name, and no RuntimeClass, as the cluster's own and other nodes' runs'
// are there too.
func deleteLeftovers(ctx context.Context, rc *RunContext) error {
	removeStaticPods(ctx, rc)
	if err := DeleteTestNamespaces(ctx, rc.Client, rc.testNamespaces(), rc.Logger); err != nil {
		return err
	}
	if rc.Config.Cluster {
		return nil
	}
	return DeleteRuntimeClasses(ctx, rc.Client, rc.Logger)
}

// testNamespaces is the selector of the namespaces of the run's specs:
// in a cluster, those of this node's. The caller holds rc.mu or runs in
// the phases' goroutine.
func (rc *RunContext) testNamespaces() string {
	if rc.Config.Cluster {
		return TestNamespaces(rc.Config.NodeName)
	}
	return TestNamespaces("")
}

func (p *controlPlanePhase) Stop(ctx context.Context, rc *RunContext) error {
	if p.cp == nil {
		return nil
	}
	if rc.Client != nil {
		if err := deleteLeftovers(ctx, rc); err != nil {
			rc.Logger.Warn("cleanup of what the specs created", "error", err.Error())
		}
	}
	return p.cp.Stop()
}

// removeStaticPods removes the specs' static pod manifests from the
// kubelet's static pod directory, logging what it did.
func removeStaticPods(ctx context.Context, rc *RunContext) {
	removed, err := RemoveStaticPods(ctx, rc.Client, rc.Host, rc.Config.StaticPodDir, rc.testNamespaces())
	if len(removed) > 0 {
		rc.Logger.Info("removed the specs' static pod manifests", "manifests", strings.Join(removed, ","))
	}
	if err != nil {
		rc.Logger.Warn("the specs' static pod manifests", "error", err.Error())
	}
}

// nodePhase waits for the node to register and become Ready.
type nodePhase struct{}

func (*nodePhase) Name() string { return "wait for node" }

func (*nodePhase) Run(ctx context.Context, rc *RunContext) error {
	n, err := WaitForNode(ctx, rc.Client, rc.Config.NodeName, rc.Config.NodeTimeout, rc.Logger)
	if err != nil {
		return err
	}
	rc.mu.Lock()
	rc.NodeName, rc.About.Node = n, n
	rc.mu.Unlock()
	return nil
}

// nodeFactsPhase reads what the node reports of itself (kubelet, runtime,
// OS, kernel, arch) into the summary and checks the kubelet's version skew
// and the node's zone labels. It runs after the kubelet sync phase, not
// right after the wait for node: the Node object outlives runs in the
// control plane's store, and a kubelet just restarted (upgraded, swapped)
// renews its lease before it posts its status, so a Ready node with a
// renewed lease may still carry the previous kubelet's nodeInfo. Once the
// kubelet has run a pod of this control plane, it has posted its status,
// which it does first thing after it registers.
type nodeFactsPhase struct{}

func (*nodeFactsPhase) Name() string { return "node facts" }

func (*nodeFactsPhase) Run(ctx context.Context, rc *RunContext) error {
	node, err := rc.Client.CoreV1().Nodes().Get(ctx, rc.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", rc.NodeName, err)
	}
	info := node.Status.NodeInfo
	rc.mu.Lock()
	rc.About.Architecture = info.Architecture
	rc.About.KubeletVersion, rc.About.ContainerRuntime = info.KubeletVersion, info.ContainerRuntimeVersion
	rc.About.OSImage, rc.About.KernelVersion = info.OSImage, info.KernelVersion
	rc.mu.Unlock()
	rc.Logger.Info("node", "name", node.Name, "kubelet", info.KubeletVersion, "runtime", info.ContainerRuntimeVersion,
		"os", info.OSImage, "kernel", info.KernelVersion, "arch", info.Architecture)
	// The skew that matters is against the API server the kubelet reports
	// to: the local control plane is of the pinned release.
	against := KubernetesVersion
	if rc.Config.Cluster && rc.serverVersion != "" {
		against = rc.serverVersion
	}
	for _, c := range []validate.Check{
		validate.CheckKubeletVersion(info.KubeletVersion, against),
		validate.CheckZones(node.Labels),
	} {
		rc.addCheck(c)
	}
	return nil
}

// addCheck records a host check as a testcase of the report and logs it.
func (rc *RunContext) addCheck(c validate.Check) {
	rc.Report.Add(results.ValidationSuite, c.Case())
	attrs := []any{"verdict", string(c.Verdict), "check", c.Title(), "message", c.Message}
	if c.Fix != "" {
		attrs = append(attrs, "fix", c.Fix)
	}
	rc.Logger.Info("check", attrs...)
}
