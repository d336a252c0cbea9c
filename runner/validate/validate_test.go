package validate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/node-test/node-test/results"
)

func TestCheckCase(t *testing.T) {
	for _, tc := range []struct {
		check Check
		want  results.Case
		line  string
	}{
		{
			check: Check{Area: "system", Name: "kernel config", Verdict: Pass, Message: "all set"},
			want:  results.Case{Name: "[system] kernel config", Status: results.StatusPassed, Message: "all set"},
			line:  "PASS [system] kernel config: all set",
		},
		{
			check: Check{Area: "system", Name: "cgroups", Verdict: Warn, Message: "v1 is deprecated"},
			want:  results.Case{Name: "[system] cgroups", Status: results.StatusPassed, Message: "warning: v1 is deprecated"},
			line:  "WARN [system] cgroups: v1 is deprecated",
		},
		{
			check: Check{Area: "runtime", Name: "OOM score adjustment", Verdict: Warn, Message: "no CAP_SYS_RESOURCE", Fix: "grant it"},
			want:  results.Case{Name: "[runtime] OOM score adjustment", Status: results.StatusPassed, Message: "warning: no CAP_SYS_RESOURCE — fix: grant it"},
			line:  "WARN [runtime] OOM score adjustment: no CAP_SYS_RESOURCE — fix: grant it",
		},
		{
			check: Check{Area: "kubelet", Name: "max pods", Verdict: Fail, Message: "250 pods", Fix: "set maxPods: 110"},
			want:  results.Case{Name: "[kubelet] max pods", Status: results.StatusFailed, Message: "250 pods — fix: set maxPods: 110"},
			line:  "FAIL [kubelet] max pods: 250 pods — fix: set maxPods: 110",
		},
		{
			check: Check{Area: "pki", Name: "client certificate", Verdict: NotApplicable, Message: "no client certificate"},
			want:  results.Case{Name: "[pki] client certificate", Status: results.StatusSkipped, Message: "not applicable: no client certificate"},
			line:  "N/A  [pki] client certificate: no client certificate",
		},
	} {
		if got := tc.check.Case(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Case() = %+v, want %+v", got, tc.want)
		}
		if got := tc.check.String(); got != tc.line {
			t.Errorf("String() = %q, want %q", got, tc.line)
		}
	}
}

func TestFailed(t *testing.T) {
	checks := []Check{
		{Area: "system", Name: "os", Verdict: Pass},
		{Area: "system", Name: "cgroups", Verdict: Warn},
		{Area: "pki", Name: "client certificate", Verdict: NotApplicable},
	}
	if err := Failed(checks); err != nil {
		t.Fatalf("Failed with no failure = %v", err)
	}
	checks = append(checks, Check{Area: "kubelet", Name: "max pods", Verdict: Fail})
	err := Failed(checks)
	if !errors.Is(err, ErrChecksFailed) || !strings.Contains(err.Error(), "1 of 4: [kubelet] max pods") {
		t.Fatalf("Failed = %v, want ErrChecksFailed naming [kubelet] max pods", err)
	}
}

// TestRunReportsEveryCheck runs every check on a bare rootfs: each fails or
// is not applicable on its own, none stops the others.
func TestRunReportsEveryCheck(t *testing.T) {
	checks := newRootfs(t).run()
	var titles []string
	for _, c := range checks {
		titles = append(titles, c.Title())
		if c.Verdict == Pass {
			t.Errorf("%s passes on an empty rootfs: %s", c.Title(), c)
		}
	}
	want := []string{
		"[system] os", "[system] kernel version", "[system] kernel config", "[system] cgroups",
		"[runtime] container runtime", "[runtime] cgroup driver", "[runtime] OOM score adjustment",
		"[kubelet] process", "[kubelet] config file", "[kubelet] cloud provider", "[kubelet] max pods", "[kubelet] API server",
		"[pki] client certificate", "[pki] serving certificate",
	}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Errorf("checks %q, want %q", titles, want)
	}
}
