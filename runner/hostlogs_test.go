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
	root := t.TempDir()
	for _, d := range []string{"etc", "usr", "proc/42/fd", "var/log"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string, flag int) {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(root, p), os.O_CREATE|os.O_WRONLY|flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/42/cmdline", "/usr/bin/kubelet\x00--v=2\x00", os.O_TRUNC)
	write("var/log/kubelet.log", "I1128 before the run\n", os.O_TRUNC)
	for _, fd := range []string{"1", "2"} {
		if err := os.Symlink("/var/log/kubelet.log", filepath.Join(root, "proc/42/fd", fd)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := host.New(root)
	if err != nil {
		t.Fatal(err)
	}
	rc := &RunContext{Config: testConfig(t), Logger: slog.New(slog.DiscardHandler), Host: h}
	p := &hostLogsPhase{}
	if err := p.Run(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	write("var/log/kubelet.log", "I1128 during the run\n", os.O_APPEND)
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
}
