package validate

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeCRI answers Version and Status, and RuntimeConfig when driver is set.
type fakeCRI struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	name         string
	networkReady bool
	driver       *runtimeapi.CgroupDriver
}

func (f *fakeCRI) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: f.name, RuntimeVersion: "v9.9.9", RuntimeApiVersion: "v1"}, nil
}

func (f *fakeCRI) Status(context.Context, *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	conds := []*runtimeapi.RuntimeCondition{{Type: runtimeapi.RuntimeReady, Status: true}}
	if f.networkReady {
		conds = append(conds, &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true})
	} else {
		conds = append(conds, &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Reason: "NetworkPluginNotReady", Message: "cni config uninitialized"})
	}
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: conds}}, nil
}

func (f *fakeCRI) RuntimeConfig(ctx context.Context, req *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	if f.driver == nil {
		return f.UnimplementedRuntimeServiceServer.RuntimeConfig(ctx, req)
	}
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: *f.driver}}, nil
}

// serveCRI serves f on the rootfs's socket (a host path).
func (r *rootfs) serveCRI(socket string, f *fakeCRI) {
	r.t.Helper()
	r.mkdir(filepath.Dir(socket))
	l, err := net.Listen("unix", filepath.Join(r.dir, socket))
	if err != nil {
		r.t.Fatal(err)
	}
	s := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(s, f)
	go s.Serve(l)
	r.t.Cleanup(s.Stop)
}

func TestRuntime(t *testing.T) {
	systemd, cgroupfs := runtimeapi.CgroupDriver_SYSTEMD, runtimeapi.CgroupDriver_CGROUPFS
	for name, tc := range map[string]struct {
		socket     string
		cri        *fakeCRI
		files      map[string]string
		kubelet    string // the kubelet config's cgroupDriver line
		rt, driver Verdict
		want       []string
	}{
		"containerd from its config, agreeing": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd", networkReady: true},
			files: map[string]string{"etc/containerd/config.toml": containerdV2Config("runc", "false")},
			rt:    Pass, driver: Pass,
			want: []string{"containerd v9.9.9 at /run/containerd/containerd.sock: RuntimeReady, NetworkReady",
				"containerd: cgroupfs (SystemdCgroup = false in /etc/containerd/config.toml); the kubelet: cgroupfs (cgroupDriver in /var/lib/kubelet/config.yaml)"},
		},
		"containerd systemd, kubelet cgroupfs": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd", networkReady: true},
			files: map[string]string{"etc/containerd/config.toml": containerdV2Config("runc", "true")},
			rt:    Pass, driver: Fail,
			want: []string{"containerd uses systemd (SystemdCgroup = true in /etc/containerd/config.toml) but the kubelet uses cgroupfs",
				"set the kubelet's cgroupDriver to systemd"},
		},
		"containerd config from its command line": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd", networkReady: true},
			files: map[string]string{
				"etc/containerd/config.toml": containerdV2Config("runc", "false"),
				"opt/containerd.toml":        containerdV2Config("runc", "true"),
				"proc/100/cmdline":           "/usr/bin/containerd\x00-c\x00/opt/containerd.toml\x00",
			},
			kubelet: "cgroupDriver: systemd\n", rt: Pass, driver: Pass,
			want: []string{"systemd (SystemdCgroup = true in /opt/containerd.toml)"},
		},
		"containerd without a config": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd", networkReady: true},
			kubelet: "cgroupDriver: systemd\n", rt: Pass, driver: Warn,
			want: []string{"containerd's cgroup driver is unknown", "no such file"},
		},
		"runtime config through CRI": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd", networkReady: true, driver: &systemd},
			files: map[string]string{"etc/containerd/config.toml": containerdV2Config("runc", "false")},
			rt:    Pass, driver: Warn,
			want: []string{"containerd: systemd (CRI RuntimeConfig)", "ignores its own setting, cgroupfs"},
		},
		"runtime config through CRI, agreeing": {
			socket: "/run/crio/crio.sock", cri: &fakeCRI{name: "cri-o", networkReady: true, driver: &cgroupfs},
			rt: Pass, driver: Pass, want: []string{"crio: cgroupfs (CRI RuntimeConfig); the kubelet (cgroupfs"},
		},
		"CRI-O from its drop-in": {
			socket: "/run/crio/crio.sock", cri: &fakeCRI{name: "cri-o", networkReady: true},
			files: map[string]string{
				"etc/crio/crio.conf":                  "[crio.runtime]\ncgroup_manager = \"systemd\"\n",
				"etc/crio/crio.conf.d/10-cgroup.conf": "[crio.runtime]\ncgroup_manager = \"cgroupfs\"\n",
			},
			rt: Pass, driver: Pass, want: []string{"crio: cgroupfs (cgroup_manager in /etc/crio/crio.conf.d/10-cgroup.conf)"},
		},
		"cri-dockerd without daemon.json": {
			socket: "/run/cri-dockerd.sock", cri: &fakeCRI{name: "docker", networkReady: true},
			rt: Pass, driver: Warn, want: []string{"cri-dockerd's cgroup driver is unknown", "native.cgroupdriver"},
		},
		"network not ready": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd"},
			files: map[string]string{"etc/containerd/config.toml": containerdV2Config("runc", "false")},
			rt:    Fail, driver: Pass,
			want: []string{"RuntimeReady, not NetworkReady", "CNI network", "cni config uninitialized"},
		},
		"kubelet config unreadable": {
			socket: "/run/containerd/containerd.sock", cri: &fakeCRI{name: "containerd", networkReady: true},
			files:   map[string]string{"etc/containerd/config.toml": containerdV2Config("runc", "true")},
			kubelet: "\tnot yaml", rt: Pass, driver: NotApplicable,
			want: []string{"the kubelet's config cannot be read", "containerd uses systemd"},
		},
		"no runtime": {
			rt: Fail, driver: NotApplicable, want: []string{"no container runtime socket found", "no container runtime found"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := nodeRootfs(t)
			for p, content := range tc.files {
				r.write(p, content)
			}
			if tc.kubelet != "" {
				r.write("var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"+tc.kubelet)
			}
			if tc.cri != nil {
				r.serveCRI(tc.socket, tc.cri)
			}
			checks := r.run()
			rt, driver := find(t, checks, "[runtime] container runtime"), find(t, checks, "[runtime] cgroup driver")
			expect(t, rt, tc.rt)
			expect(t, driver, tc.driver)
			for _, w := range tc.want {
				expect(t, Check{Area: "both", Name: "checks", Verdict: Pass, Message: rt.String() + " " + driver.String()}, Pass, w)
			}
		})
	}
}

func TestRuntimeEndpointFromTheKubelet(t *testing.T) {
	r := nodeRootfs(t)
	r.serveCRI("/run/containerd/containerd.sock", &fakeCRI{name: "containerd", networkReady: true})
	r.serveCRI("/run/k3s/cri.sock", &fakeCRI{name: "remote", networkReady: true})
	r.write("var/lib/kubelet/config.yaml", kubeletConfig("containerRuntimeEndpoint: unix:///run/k3s/cri.sock\n"))
	expect(t, find(t, r.run(), "[runtime] container runtime"), Pass, "remote v9.9.9 at /run/k3s/cri.sock")
}

func containerdV2Config(defaultRuntime, systemdCgroup string) string {
	return `version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "` + defaultRuntime + `"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      # SystemdCgroup = true
      SystemdCgroup = ` + systemdCgroup + `
`
}

func TestContainerdSystemdCgroup(t *testing.T) {
	v3 := `version = 3
[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'crun'
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.crun.options]
    SystemdCgroup = true
`
	for name, tc := range map[string]struct {
		config       string
		systemd, set bool
	}{
		"v2 false":                     {config: containerdV2Config("runc", "false"), set: true},
		"v2 true":                      {config: containerdV2Config("runc", "true"), systemd: true, set: true},
		"v3 default runtime crun":      {config: v3, systemd: true, set: true},
		"only another runtime sets it": {config: containerdV2Config("kata", "true"), systemd: true, set: true},
		"commented out":                {config: "version = 2\n# SystemdCgroup = true\n"},
		"empty":                        {},
	} {
		systemd, set := containerdSystemdCgroup([]byte(tc.config))
		if systemd != tc.systemd || set != tc.set {
			t.Errorf("%s: containerdSystemdCgroup = %v, %v; want %v, %v", name, systemd, set, tc.systemd, tc.set)
		}
	}
}
