package validate

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/node-test/node-test/runner/host"
)

const oomCheckName = "OOM score adjustment"

// guaranteedOOMScoreAdj is what the kubelet asks for a Guaranteed pod's
// containers, so that the OOM killer takes them last.
const guaranteedOOMScoreAdj = -997

var tomlRestrictOOMScoreAdj = regexp.MustCompile(`(?m)^\s*restrict_oom_score_adj\s*=\s*true\b`)

// checkOOMScoreAdj checks that the runtime can give a Guaranteed pod's
// containers the oom_score_adj the kubelet asks for, -997. The process that
// starts the containers (containerd, also Docker's, or CRI-O) needs
// CAP_SYS_RESOURCE for it, which a VM or a container may withhold even from
// root; and containerd's restrict_oom_score_adj, the way to run without it,
// keeps every container at or above containerd's own value. Such a node
// runs pods, but the OOM killer spares none, and the specs that read a
// container's oom_score_adj (in-place resize restarting a Guaranteed pod's
// container) fail. It warns: the specs decide.
func checkOOMScoreAdj(n *node, kind string) Check {
	c := Check{Area: AreaRuntime, Name: oomCheckName}
	names := map[string][]string{"containerd": {"containerd"}, "crio": {"crio"}, "cri-dockerd": {"containerd", "dockerd"}}[kind]
	var p host.Process
	found := false
	for _, name := range names {
		if p, found = n.h.FindDaemon(n.processes, name); found {
			break
		}
	}
	if !found {
		c.Verdict, c.Message = NotApplicable, fmt.Sprintf("no process of %s found to read its capabilities", kind)
		return c
	}
	daemon := fmt.Sprintf("%s (pid %d)", p.Name(), p.PID)
	status, err := n.h.ReadFile(path.Join("/proc", strconv.Itoa(p.PID), "status"))
	if err != nil {
		c.Verdict, c.Message = NotApplicable, fmt.Sprintf("cannot read the capabilities of %s: %v", daemon, err)
		return c
	}
	caps, ok := effectiveCaps(status)
	if !ok {
		c.Verdict, c.Message = NotApplicable, fmt.Sprintf("no CapEff in /proc/%d/status of %s", p.PID, daemon)
		return c
	}
	restrict := ""
	if p.Name() == "containerd" {
		file := containerdConfigFile(n)
		if b, err := n.h.ReadFile(file); err == nil && tomlRestrictOOMScoreAdj.Match(b) {
			restrict = file
		}
	}
	if caps&(1<<unix.CAP_SYS_RESOURCE) == 0 {
		c.Verdict = Warn
		c.Message = fmt.Sprintf("%s runs without CAP_SYS_RESOURCE: it cannot lower a container's oom_score_adj, so a Guaranteed pod's containers get 0 or more, not %d, and the OOM killer does not spare them", daemon, guaranteedOOMScoreAdj)
		if restrict != "" {
			c.Message += fmt.Sprintf(" (restrict_oom_score_adj = true in %s keeps them starting)", restrict)
		}
		c.Message += "; the in-place resize specs that restart a Guaranteed pod's container fail on it"
		c.Fix = fmt.Sprintf("run %s with CAP_SYS_RESOURCE: a VM or container that withholds it from root cannot protect pods from the OOM killer", p.Name())
		return c
	}
	if restrict != "" {
		own, err := n.h.ReadFile(path.Join("/proc", strconv.Itoa(p.PID), "oom_score_adj"))
		v, perr := strconv.Atoi(strings.TrimSpace(string(own)))
		if err == nil && perr == nil && v > guaranteedOOMScoreAdj {
			c.Verdict = Warn
			c.Message = fmt.Sprintf("restrict_oom_score_adj = true in %s and %s's own oom_score_adj is %d: no container gets less, so a Guaranteed pod's get %d, not %d", restrict, daemon, v, v, guaranteedOOMScoreAdj)
			c.Fix = fmt.Sprintf("set restrict_oom_score_adj = false in %s (containerd has CAP_SYS_RESOURCE), or run containerd with oom_score_adj -999 (OOMScoreAdjust=-999 in its systemd unit)", restrict)
			return c
		}
	}
	c.Verdict = Pass
	c.Message = fmt.Sprintf("%s has CAP_SYS_RESOURCE: it can give a Guaranteed pod's containers oom_score_adj %d", daemon, guaranteedOOMScoreAdj)
	return c
}

// effectiveCaps is the CapEff mask of a /proc/<pid>/status.
func effectiveCaps(status []byte) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return caps, err == nil
		}
	}
	return 0, false
}
