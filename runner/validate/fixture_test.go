package validate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	system "k8s.io/system-validators/validators"

	"github.com/node-test/node-test/runner/host"
)

// rootfs is a fixture host root filesystem in a temporary directory.
type rootfs struct {
	t   *testing.T
	dir string
}

// newRootfs is a bare rootfs: /etc, /usr, /proc.
func newRootfs(t *testing.T) *rootfs {
	t.Helper()
	r := &rootfs{t: t, dir: t.TempDir()}
	for _, d := range []string{"etc", "usr", "proc"} {
		r.mkdir(d)
	}
	return r
}

// nodeRootfs is a rootfs of a healthy node, but for its runtime: Linux
// 6.1, a complete kernel config, cgroup v2, and a kubelet on the local
// control plane, with a config file and a kubeconfig without credentials.
func nodeRootfs(t *testing.T) *rootfs {
	r := newRootfs(t)
	r.write("proc/sys/kernel/ostype", "Linux\n")
	r.write("proc/sys/kernel/osrelease", "6.1.0-test\n")
	r.write("proc/sys/kernel/hostname", "Node-A\n")
	r.write("etc/hostname", "Node-A\n")
	r.write("etc/os-release", "NAME=Test\nPRETTY_NAME=\"Test Linux 1\"\n")
	r.kernelConfig("/boot/config-6.1.0-test", nil)
	r.cgroupV2("cpuset cpu io memory hugetlb pids rdma", true)
	r.kubelet("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--v=2")
	r.write("var/lib/kubelet/config.yaml", kubeletConfig(""))
	r.write("etc/kubernetes/kubelet.conf", kubeconfig("http://localhost:8080", ""))
	return r
}

func (r *rootfs) mkdir(p string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Join(r.dir, p), 0o755); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rootfs) write(p, content string) {
	r.t.Helper()
	r.mkdir(filepath.Dir(p))
	if err := os.WriteFile(filepath.Join(r.dir, p), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rootfs) remove(p string) {
	r.t.Helper()
	if err := os.RemoveAll(filepath.Join(r.dir, p)); err != nil {
		r.t.Fatal(err)
	}
}

// kernelConfig writes a kernel config setting every option of
// DefaultSysSpec but those of unset (names without CONFIG_), which are
// written "=n" when they map to true, left out otherwise.
func (r *rootfs) kernelConfig(p string, unset map[string]bool) {
	k := system.DefaultSysSpec.KernelSpec
	var b strings.Builder
	b.WriteString("# Linux/x86 6.1.0 Kernel Configuration\n# CONFIG_EXPERT is not set\n")
	seen := map[string]bool{}
	for _, list := range [][]system.KernelConfig{k.Required, k.RequiredCgroupsV1, k.RequiredCgroupsV2, k.Optional, k.OptionalCgroupsV1, k.OptionalCgroupsV2} {
		for _, kc := range list {
			if seen[kc.Name] {
				continue
			}
			seen[kc.Name] = true
			disabled, skip := unset[kc.Name]
			switch {
			case !skip:
				b.WriteString("CONFIG_" + kc.Name + "=y\n")
			case disabled:
				b.WriteString("CONFIG_" + kc.Name + "=n\n")
			}
		}
	}
	r.write(p, b.String())
}

// cgroupV2 lays out a unified hierarchy with these controllers; freeze
// adds the cgroup.freeze file of a child cgroup.
func (r *rootfs) cgroupV2(controllers string, freeze bool) {
	r.write("sys/fs/cgroup/cgroup.controllers", controllers+"\n")
	r.mkdir("sys/fs/cgroup/system.slice")
	if freeze {
		r.write("sys/fs/cgroup/system.slice/cgroup.freeze", "0\n")
	}
}

// cgroupV1 lays out v1 hierarchies as systemd mounts them (cpu,cpuacct
// co-mounted, with cpu and cpuacct links), one directory per other
// controller, and /proc/cgroups enabling every controller named.
func (r *rootfs) cgroupV1(mounted []string, enabled []string) {
	r.mkdir("sys/fs/cgroup")
	for _, c := range mounted {
		r.mkdir("sys/fs/cgroup/" + c)
		if c == "cpu,cpuacct" {
			for _, l := range []string{"cpu", "cpuacct"} {
				if err := os.Symlink("cpu,cpuacct", filepath.Join(r.dir, "sys/fs/cgroup", l)); err != nil {
					r.t.Fatal(err)
				}
			}
		}
	}
	r.mkdir("sys/fs/cgroup/systemd")
	var b strings.Builder
	b.WriteString("#subsys_name\thierarchy\tnum_cgroups\tenabled\n")
	for i, c := range enabled {
		b.WriteString(c + "\t" + string(rune('1'+i%9)) + "\t1\t1\n")
	}
	b.WriteString("net_prio\t0\t1\t0\n")
	r.write("proc/cgroups", b.String())
}

// kubelet adds a kubelet process with this command line.
func (r *rootfs) kubelet(args ...string) {
	r.write("proc/4242/cmdline", strings.Join(args, "\x00")+"\x00")
}

func (r *rootfs) host() *host.Host {
	r.t.Helper()
	h, err := host.New(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// run runs every check on the rootfs.
func (r *rootfs) run() []Check {
	return Run(context.Background(), r.host())
}

// kubeletConfig is a KubeletConfiguration with extra lines.
func kubeletConfig(extra string) string {
	return "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: cgroupfs\nmaxPods: 110\n" + extra
}

// kubeconfig is a one-cluster kubeconfig; user is the YAML of its user
// (indented four spaces), "" for none.
func kubeconfig(server, user string) string {
	if user == "" {
		user = "    {}\n"
	}
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + server +
		"\nusers:\n- name: kubelet\n  user:\n" + user +
		"contexts:\n- name: local\n  context:\n    cluster: local\n    user: kubelet\ncurrent-context: local\n"
}

// find returns the check titled title ("[area] name").
func find(t *testing.T, checks []Check, title string) Check {
	t.Helper()
	for _, c := range checks {
		if c.Title() == title {
			return c
		}
	}
	t.Fatalf("no check %q in %v", title, checks)
	return Check{}
}

// expect asserts a check's verdict and that its message (and fix, for a
// failure) contain each of want.
func expect(t *testing.T, c Check, v Verdict, want ...string) {
	t.Helper()
	if c.Verdict != v {
		t.Errorf("%s: verdict %s, want %s: %s", c.Title(), c.Verdict, v, c)
	}
	text := c.Message + " " + c.Fix
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: %q does not say %q", c.Title(), text, w)
		}
	}
	if v == Fail && c.Fix == "" {
		t.Errorf("%s failed without a fix: %s", c.Title(), c)
	}
}
