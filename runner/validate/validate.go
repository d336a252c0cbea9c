package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/host"
)

// Verdict is the outcome of one check.
type Verdict string

// Verdicts of a check, from best to worst: a warning does not fail the host;
// not applicable says why the check could not be judged on this host.
const (
	Pass          Verdict = "pass"
	Warn          Verdict = "warn"
	Fail          Verdict = "fail"
	NotApplicable Verdict = "n/a"
)

// Areas of the checks.
const (
	AreaSystem  = "system"
	AreaRuntime = "runtime"
	AreaKubelet = "kubelet"
	AreaPKI     = "pki"
	AreaZones   = "zones"
)

// Check is the result of one check of the host.
type Check struct {
	Area, Name string
	Verdict    Verdict
	// Message says what was found: for a warning, what to watch; for not
	// applicable, why.
	Message string
	// Fix says what to change, for a failure.
	Fix string
}

// ErrChecksFailed means at least one check failed.
var ErrChecksFailed = errors.New("host checks failed")

// Title is the check's testcase name: the area in brackets, then the name,
// as in "[system] kernel config".
func (c Check) Title() string {
	return "[" + c.Area + "] " + c.Name
}

// Case is the check as a testcase of the report: a warning passes with its
// message and fix, a failure carries its fix, not applicable is skipped
// with the reason.
func (c Check) Case() results.Case {
	rc := results.Case{Name: c.Title(), Message: c.Message}
	switch c.Verdict {
	case Pass:
		rc.Status = results.StatusPassed
	case Warn:
		rc.Status, rc.Message = results.StatusPassed, "warning: "+c.failure()
	case NotApplicable:
		rc.Status, rc.Message = results.StatusSkipped, "not applicable: "+c.Message
	default:
		rc.Status, rc.Message = results.StatusFailed, c.failure()
	}
	return rc
}

// String is the check on one line: verdict, title, message and, for a
// failure or a warning, the fix.
func (c Check) String() string {
	msg := c.Message
	if c.Verdict == Fail || c.Verdict == Warn {
		msg = c.failure()
	}
	return fmt.Sprintf("%-4s %s: %s", strings.ToUpper(string(c.Verdict)), c.Title(), msg)
}

func (c Check) failure() string {
	if c.Fix == "" {
		return c.Message
	}
	return c.Message + " — fix: " + c.Fix
}

// Failed returns an error wrapping ErrChecksFailed that names the failed
// checks, or nil when none failed.
func Failed(checks []Check) error {
	var names []string
	for _, c := range checks {
		if c.Verdict == Fail {
			names = append(names, c.Title())
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d of %d: %s", ErrChecksFailed, len(names), len(checks), strings.Join(names, ", "))
}

// Run runs every check of the host h, in the order system, runtime,
// kubelet, pki; a failed check never stops the others.
func Run(ctx context.Context, h *host.Host) []Check {
	n := inspect(h)
	var out []Check
	out = append(out, systemChecks(n)...)
	out = append(out, runtimeChecks(ctx, n)...)
	out = append(out, kubeletChecks(n)...)
	out = append(out, pkiChecks(n, time.Now())...)
	return out
}

// node is what the checks read of the host, inspected once.
type node struct {
	h *host.Host
	// processes is the host's process table; processesErr why it could not
	// be read.
	processes    []host.Process
	processesErr error
	// kubelet is the kubelet found in the process table, nil if none.
	kubelet *kubelet
	// release is the kernel release, releaseErr why it is unknown.
	release    string
	releaseErr error
	// hostname is the host's hostname, lower case; "" if unknown.
	hostname string
}

func inspect(h *host.Host) *node {
	n := &node{h: h}
	n.processes, n.processesErr = h.Processes()
	if p, ok := n.h.FindDaemon(n.processes, "kubelet"); ok {
		n.kubelet = inspectKubelet(h, p)
	}
	if b, err := h.ReadFile("/proc/sys/kernel/osrelease"); err != nil {
		n.releaseErr = fmt.Errorf("read the kernel release: %w", err)
	} else {
		n.release = strings.TrimSpace(string(b))
	}
	n.hostname = hostname(h)
	return n
}

// hostname is the host's hostname, lower case. On the host itself the
// kernel's is right; through a mounted rootfs /proc/sys/kernel/hostname is
// the reading container's (its UTS namespace), so the host's /etc/hostname
// comes first.
func hostname(h *host.Host) string {
	files := []string{"/etc/hostname", "/proc/sys/kernel/hostname"}
	if h.Root == "/" {
		files[0], files[1] = files[1], files[0]
	}
	for _, p := range files {
		if b, err := h.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.ToLower(strings.TrimSpace(string(b)))
		}
	}
	return ""
}

// findings gathers the observations of one check: the verdict is the worst
// of them; the message and fix join them.
type findings struct {
	verdict Verdict
	notes   []string
	fixes   []string
}

func (f *findings) add(v Verdict, note, fix string) {
	if rank(v) > rank(f.verdict) {
		f.verdict = v
	}
	if note != "" {
		f.notes = append(f.notes, note)
	}
	if fix != "" && v == Fail {
		f.fixes = append(f.fixes, fix)
	}
}

func (f *findings) check(area, name string) Check {
	v := f.verdict
	if v == "" {
		v = Pass
	}
	return Check{Area: area, Name: name, Verdict: v, Message: strings.Join(f.notes, "; "), Fix: strings.Join(f.fixes, "; ")}
}

func rank(v Verdict) int {
	switch v {
	case Pass:
		return 1
	case Warn:
		return 2
	case Fail:
		return 3
	}
	return 0
}
