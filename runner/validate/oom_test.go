package validate

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	allCaps          = "000001ffffffffff"
	noCapSysResource = "000001fffeffffff"
)

func TestOOMScoreAdj(t *testing.T) {
	restrict := containerdV2Config("runc", "false") + "[plugins.\"io.containerd.grpc.v1.cri\"]\n  restrict_oom_score_adj = true\n"
	for name, tc := range map[string]struct {
		socket  string
		cri     *fakeCRI
		procs   map[string][2]string // pid: cmdline, CapEff
		own     string               // the daemon's own oom_score_adj
		config  string
		verdict Verdict
		want    []string
	}{
		"containerd with the capability": {
			procs: map[string][2]string{"100": {"/usr/bin/containerd", allCaps}}, config: containerdV2Config("runc", "false"),
			verdict: Pass, want: []string{"containerd (pid 100) has CAP_SYS_RESOURCE", "-997"},
		},
		"containerd without the capability": {
			procs: map[string][2]string{"100": {"/usr/bin/containerd", noCapSysResource}}, config: restrict,
			verdict: Warn, want: []string{"containerd (pid 100) runs without CAP_SYS_RESOURCE", "get 0 or more, not -997",
				"restrict_oom_score_adj = true in /etc/containerd/config.toml keeps them starting", "in-place resize specs",
				"run containerd with CAP_SYS_RESOURCE"},
		},
		"restricted to 0": {
			procs: map[string][2]string{"100": {"/usr/bin/containerd", allCaps}}, own: "0\n", config: restrict,
			verdict: Warn, want: []string{"containerd (pid 100)'s own oom_score_adj is 0", "get 0, not -997", "set restrict_oom_score_adj = false"},
		},
		"restricted to -999": {
			procs: map[string][2]string{"100": {"/usr/bin/containerd", allCaps}}, own: "-999\n", config: restrict,
			verdict: Pass, want: []string{"has CAP_SYS_RESOURCE"},
		},
		"Docker's containerd": {
			socket: "/run/cri-dockerd.sock", cri: &fakeCRI{name: "docker", networkReady: true},
			procs:   map[string][2]string{"100": {"/usr/bin/dockerd", allCaps}, "200": {"containerd", noCapSysResource}},
			verdict: Warn, want: []string{"containerd (pid 200) runs without CAP_SYS_RESOURCE"},
		},
		"dockerd alone": {
			socket: "/run/cri-dockerd.sock", cri: &fakeCRI{name: "docker", networkReady: true},
			procs:   map[string][2]string{"100": {"/usr/bin/dockerd", allCaps}},
			verdict: Pass, want: []string{"dockerd (pid 100) has CAP_SYS_RESOURCE"},
		},
		"CRI-O": {
			socket: "/run/crio/crio.sock", cri: &fakeCRI{name: "cri-o", networkReady: true},
			procs:   map[string][2]string{"100": {"/usr/local/bin/crio", noCapSysResource}},
			verdict: Warn, want: []string{"crio (pid 100) runs without CAP_SYS_RESOURCE", "run crio with CAP_SYS_RESOURCE"},
		},
		"no runtime process": {
			verdict: NotApplicable, want: []string{"no process of containerd found"},
		},
		"no status": {
			procs:   map[string][2]string{"100": {"/usr/bin/containerd", ""}},
			verdict: NotApplicable, want: []string{"cannot read the capabilities of containerd (pid 100)"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := nodeRootfs(t)
			if tc.socket == "" {
				tc.socket, tc.cri = "/run/containerd/containerd.sock", &fakeCRI{name: "containerd", networkReady: true}
			}
			r.serveCRI(tc.socket, tc.cri)
			for pid, p := range tc.procs {
				r.write("proc/"+pid+"/cmdline", p[0]+"\x00")
				if p[1] != "" {
					r.write("proc/"+pid+"/status", "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t"+p[1]+"\nCapEff:\t"+p[1]+"\n")
				}
				if tc.own != "" {
					r.write("proc/"+pid+"/oom_score_adj", tc.own)
				}
			}
			if tc.config != "" {
				r.write("etc/containerd/config.toml", tc.config)
			}
			expect(t, find(t, r.run(), "[runtime] "+oomCheckName), tc.verdict, tc.want...)
		})
	}
}

// ownCapSysResource says whether this process has CAP_SYS_RESOURCE: on the
// same machine, the local node's runtime has it too, or lacks it.
func ownCapSysResource(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	caps, ok := effectiveCaps(b)
	if !ok {
		t.Fatalf("no CapEff in /proc/self/status")
	}
	return caps&(1<<unix.CAP_SYS_RESOURCE) != 0
}
