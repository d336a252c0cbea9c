package validate

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/node-test/node-test/runner/host"
)

// TestIntegrationValidateLocalNode runs every check on this machine, where
// the local node runs (make node-up): containerd, and a kubelet on the local
// control plane's http://localhost:8080 with maxPods 110 and no cloud
// provider.
func TestIntegrationValidateLocalNode(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up)")
	}
	h, err := host.New("/")
	if err != nil {
		t.Fatal(err)
	}
	checks := Run(context.Background(), h)
	areas := map[string]int{}
	for _, c := range checks {
		t.Log(c)
		areas[c.Area]++
	}
	for _, a := range []string{AreaSystem, AreaRuntime, AreaKubelet, AreaPKI} {
		if areas[a] == 0 {
			t.Errorf("no %s check", a)
		}
	}
	if c := find(t, checks, "[kubelet] process"); c.Verdict != Pass {
		t.Fatalf("%s: bring the local node up with make node-up", c)
	}
	expect(t, find(t, checks, "[runtime] container runtime"), Pass, "containerd", "RuntimeReady, NetworkReady")
	expect(t, find(t, checks, "[runtime] cgroup driver"), Pass, "cgroupfs")
	// The local node's containerd has the capabilities of this machine's root.
	if oom := find(t, checks, "[runtime] OOM score adjustment"); ownCapSysResource(t) {
		if oom.Verdict == NotApplicable || oom.Verdict == Fail {
			t.Errorf("%s", oom)
		}
	} else {
		expect(t, oom, Warn, "containerd (pid", "runs without CAP_SYS_RESOURCE", "restrict_oom_score_adj = true in ")
	}
	expect(t, find(t, checks, "[kubelet] config file"), Pass)
	expect(t, find(t, checks, "[kubelet] cloud provider"), Pass)
	expect(t, find(t, checks, "[kubelet] max pods"), Pass, "110 pods")
	expect(t, find(t, checks, "[kubelet] API server"), Pass, "http://localhost:8080")
	expect(t, find(t, checks, "[pki] client certificate"), NotApplicable, "plain HTTP")
	expect(t, find(t, checks, "[pki] serving certificate"), NotApplicable, "generated and signed itself")
	expect(t, find(t, checks, "[system] os"), Pass, "Linux")

	// The cgroup check says what this host is.
	cg := find(t, checks, "[system] cgroups")
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		expect(t, cg, cg.Verdict, "cgroup v2")
	} else {
		expect(t, cg, cg.Verdict, "cgroup v1 (hierarchies under /sys/fs/cgroup)", "cpu", "memory", "pids", "cgroup v1 is deprecated")
	}
	if cg.Verdict == Fail {
		t.Errorf("the local node's cgroups fail: %s", cg)
	}
}

func TestIntegrationStaticPodDirOfTheLocalKubelet(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up)")
	}
	h, err := host.New("/")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := StaticPodDir(h)
	if err != nil {
		t.Fatalf("%v: bring the local node up with make node-up", err)
	}
	if !strings.HasSuffix(dir, "/_output/node/manifests") {
		t.Errorf("static pod dir %q is not the one node-up configures", dir)
	}
}
