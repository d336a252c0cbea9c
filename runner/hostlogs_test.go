package runner

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/node-test/node-test/runner/host"
)

// TestHostLogsPhaseCopiesTheRunsPartOfTheKubeletsLog runs the phase on a
// fixture rootfs whose kubelet (pid 42) writes to /var/log/kubelet.log:
// only what it logs after the phase ran lands in the report's kubelet.log,
// and the summary says where it came from; the kernel's messages, which
// the fixture has none of, are named as not collected.
func TestHostLogsPhaseCopiesTheRunsPartOfTheKubeletsLog(t *testing.T) {
	f := newKubeletFixture(t)
	rc, p := f.start(t)
	f.write("var/log/kubelet.log", "I1128 during the run\n", os.O_APPEND)
	if err := p.Stop(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(rc.Config.ReportDir, "kubelet.log"))
	if err != nil || string(b) != "I1128 during the run\n" {
		t.Errorf("kubelet.log = %q, %v; want only what the kubelet logged during the run", b, err)
	}
	logs := rc.About.HostLogs
	if !slices.Contains(logs, "kubelet.log from /var/log/kubelet.log") ||
		!slices.ContainsFunc(logs, func(s string) bool { return strings.HasPrefix(s, "no kern.log (") && strings.Contains(s, "/dev/kmsg") }) {
		t.Errorf("host logs in the summary: %q; want kubelet.log's source and why kern.log is missing", logs)
	}
	if rc.About.Restarts != nil {
		t.Errorf("restarts %q of a kubelet that ran through", rc.About.Restarts)
	}
}

// TestHostLogsPhaseNamesARestartedKubelet replaces the fixture's kubelet
// during the run, then removes it: the summary says so, and the log of
// both processes is copied.
func TestHostLogsPhaseNamesARestartedKubelet(t *testing.T) {
	for name, tc := range map[string]struct {
		newPID string
		want   string
	}{
		"restarted": {"43", "kubelet restarted during the run: pid 42, then 43"},
		"gone":      {"", "kubelet (pid 42) is gone at the end of the run"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newKubeletFixture(t)
			rc, p := f.start(t)
			f.write("var/log/kubelet.log", "I1128 before the restart\n", os.O_APPEND)
			if err := os.RemoveAll(filepath.Join(f.root, "proc/42")); err != nil {
				t.Fatal(err)
			}
			if tc.newPID != "" {
				f.kubelet(tc.newPID)
				f.write("var/log/kubelet.log", "I1128 after the restart\n", os.O_APPEND)
			}
			if err := p.Stop(context.Background(), rc); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rc.About.Restarts, []string{tc.want}) {
				t.Errorf("restarts %q, want %q", rc.About.Restarts, tc.want)
			}
			b, _ := os.ReadFile(filepath.Join(rc.Config.ReportDir, "kubelet.log"))
			if !strings.HasPrefix(string(b), "I1128 before the restart\n") {
				t.Errorf("kubelet.log = %q, want the log of the run's first kubelet", b)
			}
		})
	}
}

// kubeletFixture is a rootfs whose kubelet, pid 42, writes to
// /var/log/kubelet.log.
type kubeletFixture struct {
	t    *testing.T
	root string
}

func newKubeletFixture(t *testing.T) *kubeletFixture {
	f := &kubeletFixture{t: t, root: t.TempDir()}
	for _, d := range []string{"etc", "usr", "var/log"} {
		if err := os.MkdirAll(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.write("var/log/kubelet.log", "I1128 before the run\n", os.O_TRUNC)
	f.kubelet("42")
	return f
}

// kubelet adds a kubelet process pid logging to /var/log/kubelet.log.
func (f *kubeletFixture) kubelet(pid string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Join(f.root, "proc", pid, "fd"), 0o755); err != nil {
		f.t.Fatal(err)
	}
	f.write(filepath.Join("proc", pid, "cmdline"), "/usr/bin/kubelet\x00--v=2\x00", os.O_TRUNC)
	for _, fd := range []string{"1", "2"} {
		if err := os.Symlink("/var/log/kubelet.log", filepath.Join(f.root, "proc", pid, "fd", fd)); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *kubeletFixture) write(p, s string, flag int) {
	f.t.Helper()
	file, err := os.OpenFile(filepath.Join(f.root, p), os.O_CREATE|os.O_WRONLY|flag, 0o644)
	if err != nil {
		f.t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.WriteString(s); err != nil {
		f.t.Fatal(err)
	}
}

// start runs the host logs phase on the fixture.
func (f *kubeletFixture) start(t *testing.T) (*RunContext, *hostLogsPhase) {
	h, err := host.New(f.root)
	if err != nil {
		t.Fatal(err)
	}
	rc := &RunContext{Config: testConfig(t), Logger: slog.New(slog.DiscardHandler), Host: h}
	p := &hostLogsPhase{}
	if err := p.Run(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	return rc, p
}
