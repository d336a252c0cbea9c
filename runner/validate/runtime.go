package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-test/node-test/runner/host"
)

// RuntimeEndpoint is the CRI endpoint the node's kubelet uses, from its
// command line or config; empty when unknown (no kubelet, the default).
func RuntimeEndpoint(h *host.Host) string {
	return inspect(h).runtimeEndpoint()
}

func (n *node) runtimeEndpoint() string {
	k := n.kubelet
	if k == nil {
		return ""
	}
	if e := k.flags["container-runtime-endpoint"]; e != "" {
		return e
	}
	if k.config != nil {
		return k.config.ContainerRuntimeEndpoint
	}
	return ""
}

// runtimeChecks finds the CRI runtime serving the node, asks it for its
// name, version and readiness, compares its cgroup driver with the
// kubelet's, and checks that it can protect pods from the OOM killer.
func runtimeChecks(ctx context.Context, n *node) []Check {
	rt := Check{Area: AreaRuntime, Name: "container runtime"}
	notApplicable := func(why string) []Check {
		return []Check{rt,
			{Area: AreaRuntime, Name: "cgroup driver", Verdict: NotApplicable, Message: why},
			{Area: AreaRuntime, Name: oomCheckName, Verdict: NotApplicable, Message: why}}
	}
	r, err := n.h.Runtime(n.runtimeEndpoint())
	if err != nil {
		rt.Verdict, rt.Message = Fail, err.Error()
		rt.Fix = "start the node's container runtime (containerd, CRI-O, or Docker with cri-dockerd)"
		return notApplicable("no container runtime found")
	}
	cri, err := n.h.DialCRI(r)
	if err != nil {
		rt.Verdict, rt.Message = Fail, err.Error()
		return notApplicable("the container runtime cannot be reached")
	}
	defer cri.Close()
	st, err := cri.Status(ctx)
	if err != nil {
		rt.Verdict, rt.Message = Fail, fmt.Sprintf("%s at %s: %v", r.Name, r.Socket, err)
		rt.Fix = fmt.Sprintf("start %s (its CRI socket is %s) and check its logs", r.Name, r.Socket)
		return notApplicable("the container runtime does not answer")
	}
	ready := func(b bool, cond string) string {
		if b {
			return cond
		}
		return "not " + cond
	}
	rt.Message = fmt.Sprintf("%s %s at %s: %s, %s", st.Name, st.Version, r.Socket,
		ready(st.RuntimeReady, runtimeapi.RuntimeReady), ready(st.NetworkReady, runtimeapi.NetworkReady))
	switch {
	case !st.RuntimeReady:
		rt.Verdict, rt.Fix = Fail, fmt.Sprintf("repair %s: %s", st.Name, strings.Join(st.NotReadyReasons, "; "))
	case !st.NetworkReady:
		rt.Verdict = Fail
		rt.Fix = fmt.Sprintf("give %s a CNI network (a config in /etc/cni/net.d and its plugins): %s", st.Name, strings.Join(st.NotReadyReasons, "; "))
	default:
		rt.Verdict = Pass
	}
	kind := host.Kind(r, st)
	return []Check{rt, checkCgroupDriver(ctx, n, cri, kind), checkOOMScoreAdj(n, kind)}
}

// driverInfo is a cgroup driver and where it was read.
type driverInfo struct {
	driver, source string
}

// checkCgroupDriver compares the runtime's cgroup driver with the kubelet's.
// A runtime that implements CRI RuntimeConfig (containerd 2.0+, CRI-O
// 1.28+) tells its driver, and kubelets 1.34+ use that one
// (KubeletCgroupDriverFromCRI), so the kubelet's setting only matters with
// older runtimes, whose driver is read from their config file.
func checkCgroupDriver(ctx context.Context, n *node, cri *host.CRI, kind string) Check {
	c := Check{Area: AreaRuntime, Name: "cgroup driver"}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var rt driverInfo
	fromCRI := false
	if resp, err := cri.Runtime.RuntimeConfig(rctx, &runtimeapi.RuntimeConfigRequest{}); err == nil && resp.GetLinux() != nil {
		rt = driverInfo{driver: strings.ToLower(resp.GetLinux().GetCgroupDriver().String()), source: "CRI RuntimeConfig"}
		fromCRI = true
	} else {
		rt = runtimeCgroupDriver(n, kind)
	}
	if n.kubelet == nil {
		c.Verdict = NotApplicable
		c.Message = fmt.Sprintf("no kubelet process found to compare with; %s uses %s", kind, rt.describe())
		return c
	}
	kd := kubeletCgroupDriver(n.kubelet)
	if kd.driver == "" {
		c.Verdict = NotApplicable
		c.Message = fmt.Sprintf("the kubelet's config cannot be read (see [kubelet] config file); %s uses %s", kind, rt.describe())
		return c
	}
	switch {
	case fromCRI && kd.driver == rt.driver:
		c.Verdict, c.Message = Pass, fmt.Sprintf("%s: %s; the kubelet (%s) agrees", kind, rt.describe(), kd.describe())
	case fromCRI:
		c.Verdict = Warn
		c.Message = fmt.Sprintf("%s: %s; the kubelet 1.34+ takes it from the runtime and ignores its own setting, %s, which is wrong for older kubelets",
			kind, rt.describe(), kd.describe())
	case rt.driver == "":
		c.Verdict = Warn
		c.Message = fmt.Sprintf("%s's cgroup driver is unknown (%s), so it cannot be compared with the kubelet's (%s)", kind, rt.source, kd.describe())
	case rt.driver == kd.driver:
		c.Verdict, c.Message = Pass, fmt.Sprintf("%s: %s; the kubelet: %s", kind, rt.describe(), kd.describe())
	default:
		c.Verdict = Fail
		c.Message = fmt.Sprintf("%s uses %s but the kubelet uses %s: they must agree", kind, rt.describe(), kd.describe())
		c.Fix = fmt.Sprintf("set the kubelet's cgroupDriver to %s (or the runtime's driver to %s) and restart them", rt.driver, kd.driver)
	}
	return c
}

// containerdConfigFile is the config file of the host's containerd: its
// --config, else containerd's default.
func containerdConfigFile(n *node) string {
	if p, ok := n.h.FindDaemon(n.processes, "containerd"); ok {
		flags := parseFlags(p.Args[1:], map[string]bool{"config": true, "c": true})
		if v := flags["config"]; v != "" {
			return v
		} else if v := flags["c"]; v != "" {
			return v
		}
	}
	return "/etc/containerd/config.toml"
}

func (d driverInfo) describe() string {
	if d.driver == "" {
		return "unknown (" + d.source + ")"
	}
	return d.driver + " (" + d.source + ")"
}

// kubeletCgroupDriver is --cgroup-driver, else cgroupDriver in the config,
// else the kubelet's default, cgroupfs; unknown ("") when the config cannot
// be read.
func kubeletCgroupDriver(k *kubelet) driverInfo {
	if v := k.flags["cgroup-driver"]; v != "" {
		return driverInfo{driver: v, source: "--cgroup-driver"}
	}
	if k.configErr != nil {
		return driverInfo{source: "its config cannot be read"}
	}
	if k.config != nil && k.config.CgroupDriver != "" {
		return driverInfo{driver: k.config.CgroupDriver, source: "cgroupDriver in " + k.configPath}
	}
	return driverInfo{driver: "cgroupfs", source: "the kubelet's default"}
}

// runtimeCgroupDriver reads the runtime's cgroup driver from its config
// files.
func runtimeCgroupDriver(n *node, kind string) driverInfo {
	switch kind {
	case "containerd":
		file := containerdConfigFile(n)
		b, err := n.h.ReadFile(file)
		if err != nil {
			return driverInfo{source: "no RuntimeConfig in CRI, and " + err.Error()}
		}
		systemd, set := containerdSystemdCgroup(b)
		switch {
		case !set:
			return driverInfo{driver: "cgroupfs", source: "SystemdCgroup not set in " + file + ": containerd's default"}
		case systemd:
			return driverInfo{driver: "systemd", source: "SystemdCgroup = true in " + file}
		default:
			return driverInfo{driver: "cgroupfs", source: "SystemdCgroup = false in " + file}
		}
	case "crio":
		files := []string{"/etc/crio/crio.conf"}
		if entries, err := n.h.ReadDir("/etc/crio/crio.conf.d"); err == nil {
			for _, e := range entries {
				files = append(files, path.Join("/etc/crio/crio.conf.d", e.Name()))
			}
		}
		d := driverInfo{driver: "systemd", source: "cgroup_manager not set in /etc/crio: CRI-O's default"}
		for _, f := range files {
			b, err := n.h.ReadFile(f)
			if err != nil {
				continue
			}
			if m := crioCgroupManager.FindSubmatch(b); m != nil {
				d = driverInfo{driver: string(m[1]), source: "cgroup_manager in " + f}
			}
		}
		return d
	case "cri-dockerd":
		b, err := n.h.ReadFile("/etc/docker/daemon.json")
		if err == nil {
			var daemon struct {
				ExecOpts []string `json:"exec-opts"`
			}
			if json.Unmarshal(b, &daemon) == nil {
				for _, o := range daemon.ExecOpts {
					if v, ok := strings.CutPrefix(strings.ReplaceAll(o, " ", ""), "native.cgroupdriver="); ok {
						return driverInfo{driver: v, source: "exec-opts in /etc/docker/daemon.json"}
					}
				}
			}
		}
		return driverInfo{source: "Docker's native.cgroupdriver is not set in /etc/docker/daemon.json; its default depends on the cgroup version"}
	}
	return driverInfo{source: "no RuntimeConfig in CRI, and no known config file for " + kind}
}

var (
	crioCgroupManager   = regexp.MustCompile(`(?m)^\s*cgroup_manager\s*=\s*["']([a-z]+)["']`)
	tomlSection         = regexp.MustCompile(`^\[+\s*(.*?)\s*\]+$`)
	tomlSystemdCgroup   = regexp.MustCompile(`^SystemdCgroup\s*=\s*(true|false)\b`)
	tomlDefaultRuntime  = regexp.MustCompile(`^default_runtime_name\s*=\s*["']([^"']*)["']`)
	tomlSectionUnquoter = strings.NewReplacer(`"`, "", `'`, "")
)

// containerdSystemdCgroup reads SystemdCgroup from a containerd config
// (version 2 or 3): the one of the default runtime's options (runc unless
// default_runtime_name says otherwise), else the first one set.
func containerdSystemdCgroup(config []byte) (systemd, set bool) {
	defaultRuntime := "runc"
	values := map[string]bool{}
	var order []string
	section := ""
	for line := range strings.Lines(string(config)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := tomlSection.FindStringSubmatch(line); m != nil {
			section = tomlSectionUnquoter.Replace(m[1])
			continue
		}
		if m := tomlDefaultRuntime.FindStringSubmatch(line); m != nil {
			defaultRuntime = m[1]
		}
		if m := tomlSystemdCgroup.FindStringSubmatch(line); m != nil {
			values[section] = m[1] == "true"
			order = append(order, section)
		}
	}
	for _, s := range order {
		if strings.HasSuffix(s, ".runtimes."+defaultRuntime+".options") {
			return values[s], true
		}
	}
	if len(order) > 0 {
		return values[order[0]], true
	}
	return false, false
}
