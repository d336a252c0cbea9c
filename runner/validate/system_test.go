package validate

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

func TestOSAndKernelVersion(t *testing.T) {
	r := nodeRootfs(t)
	checks := r.run()
	expect(t, find(t, checks, "[system] os"), Pass, "Linux", "Test Linux 1")
	expect(t, find(t, checks, "[system] kernel version"), Pass, "6.1.0-test")

	r.write("proc/sys/kernel/osrelease", "4.19.0-old\n")
	r.write("proc/sys/kernel/ostype", "Darwin\n")
	checks = r.run()
	expect(t, find(t, checks, "[system] os"), Fail, "unsupported operating system Darwin")
	expect(t, find(t, checks, "[system] kernel version"), Warn, "4.19.0-old is not a supported version", "5.4, 5.10 and 5.15")
}

func TestKernelConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		file    string
		unset   map[string]bool
		v1      bool
		verdict Verdict
		want    []string
	}{
		"complete": {
			file: "/boot/config-6.1.0-test", verdict: Pass,
			want: []string{"/boot/config-6.1.0-test: 17 required options checked (cgroup v2)"},
		},
		"required option missing": {
			file: "/boot/config-6.1.0-test", unset: map[string]bool{"PID_NS": false, "CGROUP_BPF": true}, verdict: Fail,
			want: []string{"required kernel options not set: CONFIG_PID_NS, CONFIG_CGROUP_BPF [Required for eBPF programs", "=y or =m"},
		},
		"alias accepted": {
			file: "/boot/config-6.1.0-test", unset: map[string]bool{"NETFILTER_XT_TARGET_REDIRECT": false}, verdict: Fail,
			want: []string{"CONFIG_NETFILTER_XT_TARGET_REDIRECT (or CONFIG_IP_NF_TARGET_REDIRECT)"},
		},
		"optional option missing": {
			file: "/lib/modules/6.1.0-test/config", unset: map[string]bool{"OVERLAY_FS": false, "SECCOMP": true}, verdict: Warn,
			want: []string{"/lib/modules/6.1.0-test/config", "optional kernel options not set: CONFIG_OVERLAY_FS (or CONFIG_OVERLAYFS_FS) [Required for overlayfs], CONFIG_SECCOMP"},
		},
		"cgroup v1 options required on v1 only": {
			file: "/boot/config-6.1.0-test", unset: map[string]bool{"CGROUP_FREEZER": false}, v1: true, verdict: Fail,
			want: []string{"(cgroup v1)", "CONFIG_CGROUP_FREEZER"},
		},
		"cgroup v1 options not required on v2": {
			file: "/boot/config-6.1.0-test", unset: map[string]bool{"CGROUP_FREEZER": false}, verdict: Pass,
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := nodeRootfs(t)
			r.remove("boot")
			r.kernelConfig(tc.file, tc.unset)
			if tc.v1 {
				r.remove("sys/fs/cgroup")
				r.cgroupV1([]string{"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb"},
					[]string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb"})
			}
			expect(t, find(t, r.run(), "[system] kernel config"), tc.verdict, tc.want...)
		})
	}
}

func TestKernelConfigFromProcConfigGz(t *testing.T) {
	r := nodeRootfs(t)
	r.kernelConfig("/boot/config-6.1.0-test", map[string]bool{"MEMCG": true})
	plain, err := os.ReadFile(filepath.Join(r.dir, "boot/config-6.1.0-test"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(plain)
	w.Close()
	r.write("proc/config.gz", gz.String())
	r.kernelConfig("/boot/config-6.1.0-test", nil) // /proc/config.gz comes first
	expect(t, find(t, r.run(), "[system] kernel config"), Fail, "/proc/config.gz", "CONFIG_MEMCG")
}

func TestKernelConfigNotFound(t *testing.T) {
	r := nodeRootfs(t)
	r.remove("boot")
	expect(t, find(t, r.run(), "[system] kernel config"), Fail,
		"no kernel config found", "/proc/config.gz", "/boot/config-6.1.0-test", "/lib/modules/6.1.0-test/config", "modprobe configs")
}

var allV1 = []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb"}

func TestCgroups(t *testing.T) {
	for name, tc := range map[string]struct {
		layout  func(r *rootfs)
		verdict Verdict
		want    []string
	}{
		"v2 complete": {
			layout:  func(r *rootfs) {},
			verdict: Pass,
			want:    []string{"cgroup v2 (unified hierarchy at /sys/fs/cgroup): cpu cpuset devices freezer hugetlb io memory pids rdma"},
		},
		"v2 without memory": {
			layout:  func(r *rootfs) { r.cgroupV2("cpuset cpu io hugetlb pids", true) },
			verdict: Fail,
			want:    []string{"missing required cgroup controllers: memory", "cgroup.subtree_control"},
		},
		"v2 without freezer": {
			layout:  func(r *rootfs) { r.remove("sys/fs/cgroup/system.slice/cgroup.freeze") },
			verdict: Fail,
			want:    []string{"missing required cgroup controllers: freezer"},
		},
		"v2 without optional io": {
			layout:  func(r *rootfs) { r.cgroupV2("cpuset cpu memory hugetlb pids", true) },
			verdict: Warn,
			want:    []string{"missing optional cgroup controllers: io"},
		},
		"v1 with the kubelet opted in": {
			layout: func(r *rootfs) {
				r.remove("sys/fs/cgroup")
				r.cgroupV1([]string{"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb", "unified"}, allV1)
				r.write("var/lib/kubelet/config.yaml", kubeletConfig("failCgroupV1: false\n"))
			},
			verdict: Warn,
			want: []string{"cgroup v1 (hierarchies under /sys/fs/cgroup): blkio cpu cpuacct cpuset devices freezer hugetlb memory pids",
				"cgroup v1 is deprecated", "failCgroupV1: false"},
		},
		"v1 without the kubelet's opt-in": {
			layout: func(r *rootfs) {
				r.remove("sys/fs/cgroup")
				r.cgroupV1([]string{"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb"}, allV1)
			},
			verdict: Fail,
			want:    []string{"cgroup v1 is deprecated", "the kubelet does not set failCgroupV1: false", "move the host to cgroup v2"},
		},
		"v1 with the kubelet's flag opting in": {
			layout: func(r *rootfs) {
				r.remove("sys/fs/cgroup")
				r.cgroupV1([]string{"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio", "hugetlb"}, allV1)
				r.kubelet("kubelet", "--fail-cgroupv1=false", "--kubeconfig=/etc/kubernetes/kubelet.conf")
			},
			verdict: Warn,
			want:    []string{"cgroup v1 is deprecated", "--fail-cgroupv1=false"},
		},
		"v1 with pids enabled but not mounted": {
			layout: func(r *rootfs) {
				r.remove("sys/fs/cgroup")
				r.cgroupV1([]string{"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "blkio"}, allV1)
				r.write("var/lib/kubelet/config.yaml", kubeletConfig("failCgroupV1: false\n"))
			},
			verdict: Fail,
			want: []string{"missing required cgroup controllers: pids (enabled in /proc/cgroups but not mounted under /sys/fs/cgroup)",
				"missing optional cgroup controllers: hugetlb", "/sys/fs/cgroup/<controller>"},
		},
		"no cgroup filesystem": {
			layout:  func(r *rootfs) { r.remove("sys/fs/cgroup") },
			verdict: Fail,
			want:    []string{"no cgroup filesystem"},
		},
		"empty cgroup directory": {
			layout: func(r *rootfs) {
				r.remove("sys/fs/cgroup")
				r.mkdir("sys/fs/cgroup")
			},
			verdict: Fail,
			want:    []string{"no cgroup hierarchy under /sys/fs/cgroup"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := nodeRootfs(t)
			tc.layout(r)
			expect(t, find(t, r.run(), "[system] cgroups"), tc.verdict, tc.want...)
		})
	}
}
