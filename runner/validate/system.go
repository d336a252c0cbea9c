package validate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	system "k8s.io/system-validators/validators"

	"github.com/node-test/node-test/runner/host"
)

// systemChecks judges the OS, kernel and cgroups against the spec the pinned
// Kubernetes verifies nodes with.
func systemChecks(n *node) []Check {
	spec := system.DefaultSysSpec
	cg := inspectCgroups(n.h)
	return []Check{
		checkOS(n.h, spec.OS),
		checkKernelVersion(n, spec.KernelSpec),
		checkKernelConfig(n, spec.KernelSpec, cg),
		checkCgroups(n, spec, cg),
	}
}

// checkOS compares the kernel's OS type with the spec's, as the library's
// OSValidator does with uname's sysname.
func checkOS(h *host.Host, want string) Check {
	c := Check{Area: AreaSystem, Name: "os"}
	b, err := h.ReadFile("/proc/sys/kernel/ostype")
	if err != nil {
		c.Verdict, c.Message = Fail, fmt.Sprintf("cannot read the OS type: %v", err)
		c.Fix = "mount the host's / with its /proc at the rootfs (-v /:/rootfs), or pass --rootfs /"
		return c
	}
	os := strings.TrimSpace(string(b))
	desc := os
	if pretty := osRelease(h); pretty != "" {
		desc += ", " + pretty
	}
	if os != want {
		c.Verdict, c.Message = Fail, fmt.Sprintf("unsupported operating system %s: nodes must run %s", desc, want)
		c.Fix = "run the node on " + want
		return c
	}
	c.Verdict, c.Message = Pass, desc
	return c
}

// osRelease is the distribution's PRETTY_NAME, "" if unknown.
func osRelease(h *host.Host) string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := h.ReadFile(p)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return ""
}

// checkKernelVersion matches the kernel release with the spec's versions; a
// release outside them is a warning, as for the library's KernelValidator.
func checkKernelVersion(n *node, spec system.KernelSpec) Check {
	c := Check{Area: AreaSystem, Name: "kernel version"}
	if n.releaseErr != nil {
		c.Verdict, c.Message = Fail, n.releaseErr.Error()
		c.Fix = "mount the host's / with its /proc at the rootfs (-v /:/rootfs), or pass --rootfs /"
		return c
	}
	for _, v := range spec.Versions {
		if regexp.MustCompile(v).MatchString(n.release) {
			c.Verdict, c.Message = Pass, n.release
			return c
		}
	}
	c.Verdict, c.Message = Warn, fmt.Sprintf("kernel release %s is not a supported version: %s", n.release, spec.VersionsNote)
	return c
}

// kernelConfigPaths are where kernel configs are found, the library's list
// plus the modules directory's config.
func kernelConfigPaths(release string) []string {
	return []string{
		"/proc/config.gz",
		"/boot/config-" + release,
		"/lib/modules/" + release + "/config",
		"/usr/src/linux-" + release + "/.config",
		"/usr/src/linux/.config",
		"/usr/lib/modules/" + release + "/config",
		"/usr/lib/ostree-boot/config-" + release,
		"/usr/lib/kernel/config-" + release,
		"/usr/src/linux-headers-" + release + "/.config",
		"/lib/modules/" + release + "/build/.config",
	}
}

var kernelConfigLine = regexp.MustCompile(`^(CONFIG_[A-Z0-9_]+)=([myn])`)

// readKernelConfig reads the first kernel config found: the options set,
// mapped to y, m or n, and the host path read.
func readKernelConfig(h *host.Host, release string) (map[string]string, string, error) {
	paths := kernelConfigPaths(release)
	for _, p := range paths {
		b, err := h.ReadFile(p)
		if err != nil {
			continue
		}
		var r io.Reader = bytes.NewReader(b)
		if path.Ext(p) == ".gz" {
			if r, err = gzip.NewReader(r); err != nil {
				return nil, p, fmt.Errorf("read kernel config %s: %w", p, err)
			}
		}
		opts := map[string]string{}
		s := bufio.NewScanner(r)
		for s.Scan() {
			if m := kernelConfigLine.FindStringSubmatch(strings.TrimSpace(s.Text())); m != nil {
				opts[m[1]] = m[2]
			}
		}
		if err := s.Err(); err != nil {
			return nil, p, fmt.Errorf("read kernel config %s: %w", p, err)
		}
		return opts, p, nil
	}
	return nil, "", fmt.Errorf("no kernel config found: looked at %s", strings.Join(paths, ", "))
}

// checkKernelConfig requires the spec's required options (with those of
// the host's cgroup version) to be built in or modules, warns about missing
// optional ones and fails on forbidden ones that are set.
func checkKernelConfig(n *node, spec system.KernelSpec, cg cgroups) Check {
	c := Check{Area: AreaSystem, Name: "kernel config"}
	if n.releaseErr != nil {
		c.Verdict, c.Message = Fail, "cannot find the kernel config: "+n.releaseErr.Error()
		return c
	}
	opts, file, err := readKernelConfig(n.h, n.release)
	if err != nil {
		c.Verdict, c.Message = Fail, err.Error()
		c.Fix = "make the kernel's config readable: load the configs module (modprobe configs) for /proc/config.gz, or install /boot/config-" + n.release
		return c
	}
	required := slices.Concat(spec.Required, spec.RequiredCgroupsV1)
	optional := slices.Concat(spec.Optional, spec.OptionalCgroupsV1)
	if cg.v2 {
		required = slices.Concat(spec.Required, spec.RequiredCgroupsV2)
		optional = slices.Concat(spec.Optional, spec.OptionalCgroupsV2)
	}
	set := func(kc system.KernelConfig) bool {
		for _, name := range append([]string{kc.Name}, kc.Aliases...) {
			if v := opts["CONFIG_"+name]; v == "y" || v == "m" {
				return true
			}
		}
		return false
	}
	var missing, missingOptional, forbidden []string
	for _, kc := range required {
		if !set(kc) {
			missing = append(missing, describeOption(kc))
		}
	}
	for _, kc := range optional {
		if !set(kc) {
			missingOptional = append(missingOptional, describeOption(kc))
		}
	}
	for _, kc := range spec.Forbidden {
		if set(kc) {
			forbidden = append(forbidden, describeOption(kc))
		}
	}
	var f findings
	f.add(Pass, fmt.Sprintf("%s: %d required options checked (cgroup %s)", file, len(required), cg.version()), "")
	if len(missing) > 0 {
		f.add(Fail, "required kernel options not set: "+strings.Join(missing, ", "),
			"run a kernel built with these options (=y or =m)")
	}
	if len(forbidden) > 0 {
		f.add(Fail, "forbidden kernel options set: "+strings.Join(forbidden, ", "), "run a kernel built without these options")
	}
	if len(missingOptional) > 0 {
		f.add(Warn, "optional kernel options not set: "+strings.Join(missingOptional, ", "), "")
	}
	return f.check(AreaSystem, c.Name)
}

// describeOption names a kernel option, its aliases and what needs it.
func describeOption(kc system.KernelConfig) string {
	s := "CONFIG_" + kc.Name
	for _, a := range kc.Aliases {
		s += " (or CONFIG_" + a + ")"
	}
	if kc.Description != "" {
		s += " [" + strings.TrimSuffix(kc.Description, ".") + "]"
	}
	return s
}

// cgroups is what the host's /sys/fs/cgroup offers.
type cgroups struct {
	// v2 is true when /sys/fs/cgroup is the unified (v2) hierarchy.
	v2 bool
	// controllers are the controllers available to the kubelet.
	controllers []string
	// unmounted are v1 controllers the kernel has enabled (/proc/cgroups)
	// but no hierarchy under /sys/fs/cgroup holds.
	unmounted []string
	err       error
}

func (cg cgroups) version() string {
	if cg.v2 {
		return "v2"
	}
	return "v1"
}

const cgroupRoot = "/sys/fs/cgroup"

// inspectCgroups reads the cgroup layout from the rootfs. /proc/mounts is
// not used: through a rootfs it is the reading process's mounts, not the
// host's. A cgroup.controllers file at /sys/fs/cgroup means the unified
// hierarchy (v2); otherwise the v1 hierarchies are the directories under it
// (cpu, memory, the co-mounted cpu,cpuacct, …), whose controllers must also
// be enabled in /proc/cgroups.
func inspectCgroups(h *host.Host) cgroups {
	if b, err := h.ReadFile(cgroupRoot + "/cgroup.controllers"); err == nil {
		cg := cgroups{v2: true, controllers: strings.Fields(string(b))}
		// As the library does: the devices controller is implicit in v2
		// (eBPF), and freezer has no entry in cgroup.controllers; the
		// kernel puts cgroup.freeze in every non-root cgroup when it
		// supports freezing (5.2+). The library creates a cgroup to see;
		// reading an existing one has no side effect.
		cg.controllers = append(cg.controllers, "devices")
		if entries, err := h.ReadDir(cgroupRoot); err == nil {
			for _, e := range entries {
				if e.IsDir() && h.Exists(path.Join(cgroupRoot, e.Name(), "cgroup.freeze")) {
					cg.controllers = append(cg.controllers, "freezer")
					break
				}
			}
		}
		slices.Sort(cg.controllers)
		return cg
	}
	entries, err := h.ReadDir(cgroupRoot)
	if err != nil {
		return cgroups{err: fmt.Errorf("no cgroup filesystem: %w", err)}
	}
	mounted := map[string]bool{}
	for _, e := range entries {
		fi, err := h.Stat(path.Join(cgroupRoot, e.Name()))
		if err != nil || !fi.IsDir() {
			continue
		}
		for _, c := range strings.Split(e.Name(), ",") {
			mounted[c] = true
		}
	}
	enabled, known := procCgroups(h)
	cg := cgroups{}
	for c := range mounted {
		if (known && enabled[c]) || (!known && c != "unified" && c != "systemd" && !strings.HasPrefix(c, "name=")) {
			cg.controllers = append(cg.controllers, c)
		}
	}
	for c, on := range enabled {
		if on && !mounted[c] {
			cg.unmounted = append(cg.unmounted, c)
		}
	}
	slices.Sort(cg.controllers)
	slices.Sort(cg.unmounted)
	if len(cg.controllers) == 0 {
		cg.err = fmt.Errorf("no cgroup hierarchy under %s: neither cgroup.controllers (v2) nor controller directories (v1)", cgroupRoot)
	}
	return cg
}

// procCgroups reads which v1 controllers the kernel has enabled; known is
// false when /proc/cgroups cannot be read.
func procCgroups(h *host.Host) (enabled map[string]bool, known bool) {
	b, err := h.ReadFile("/proc/cgroups")
	if err != nil {
		return nil, false
	}
	enabled = map[string]bool{}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) >= 4 && !strings.HasPrefix(f[0], "#") {
			enabled[f[0]] = f[3] != "0"
		}
	}
	return enabled, true
}

// checkCgroups requires the spec's controllers for the host's cgroup
// version. On cgroup v1 it also reports v1's deprecation: a kubelet that
// has not opted in with failCgroupV1: false refuses to start there.
func checkCgroups(n *node, spec system.SysSpec, cg cgroups) Check {
	var f findings
	if cg.err != nil {
		f.add(Fail, cg.err.Error(), "mount the host's / at the rootfs (-v /:/rootfs) with its cgroup filesystems under /sys/fs/cgroup")
		return f.check(AreaSystem, "cgroups")
	}
	required, optional := spec.Cgroups, spec.CgroupsOptional
	where := "hierarchies under " + cgroupRoot
	if cg.v2 {
		required, optional = spec.CgroupsV2, spec.CgroupsV2Optional
		where = "unified hierarchy at " + cgroupRoot
	}
	f.add(Pass, fmt.Sprintf("cgroup %s (%s): %s", cg.version(), where, strings.Join(cg.controllers, " ")), "")
	var missing, missingOptional []string
	for _, c := range required {
		if !slices.Contains(cg.controllers, c) {
			missing = append(missing, c+cg.why(c))
		}
	}
	for _, c := range optional {
		if !slices.Contains(cg.controllers, c) {
			missingOptional = append(missingOptional, c+cg.why(c))
		}
	}
	if len(missing) > 0 {
		fix := "mount each controller's hierarchy at /sys/fs/cgroup/<controller>, or enable it in the kernel (cgroup_enable= on its command line)"
		if cg.v2 {
			fix = "enable the controllers in /sys/fs/cgroup/cgroup.subtree_control, or run a kernel that has them"
		}
		f.add(Fail, "missing required cgroup controllers: "+strings.Join(missing, ", "), fix)
	}
	if len(missingOptional) > 0 {
		f.add(Warn, "missing optional cgroup controllers: "+strings.Join(missingOptional, ", "), "")
	}
	if !cg.v2 {
		const deprecated = "cgroup v1 is deprecated (https://git.k8s.io/enhancements/keps/sig-node/5573-remove-cgroup-v1)"
		switch k := n.kubelet; {
		case k == nil || k.configErr != nil:
			f.add(Warn, deprecated+": move the host to cgroup v2", "")
		case k.flags["fail-cgroupv1"] == "false":
			f.add(Warn, deprecated+"; the kubelet opts in with --fail-cgroupv1=false", "")
		case k.flags["fail-cgroupv1"] == "" && k.config != nil && k.config.FailCgroupV1 != nil && !*k.config.FailCgroupV1:
			f.add(Warn, deprecated+"; the kubelet opts in with failCgroupV1: false", "")
		default:
			f.add(Fail, deprecated+" and the kubelet does not set failCgroupV1: false, without which kubelet v1.35+ refuses to run on it",
				"move the host to cgroup v2 (systemd.unified_cgroup_hierarchy=1), or set failCgroupV1: false in the kubelet's config")
		}
	}
	return f.check(AreaSystem, "cgroups")
}

func (cg cgroups) why(c string) string {
	if slices.Contains(cg.unmounted, c) {
		return " (enabled in /proc/cgroups but not mounted under " + cgroupRoot + ")"
	}
	return ""
}
