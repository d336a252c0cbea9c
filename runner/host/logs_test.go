package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/node-test/node-test/internal/testenv"
)

// TestProcessLogSourceFindsTheFileItsOutputGoesTo runs processes the way
// a node's daemons run without systemd: the output redirected to a file
// (found), or to a pipe (refused, saying where it goes).
func TestProcessLogSourceFindsTheFileItsOutputGoesTo(t *testing.T) {
	h, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "daemon.log")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name           string
		stdout, stderr io.Writer // nil: /dev/null
		want, wantErr  string
	}{
		{name: "stderr to a file", stderr: f, want: logFile},
		{name: "stdout to a file, stderr to /dev/null", stdout: f, want: logFile},
		{name: "both to a pipe", stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, wantErr: "pipe:["},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A file is the process's own descriptor, anything else a pipe.
			cmd := exec.Command("sleep", "30")
			cmd.Stdout, cmd.Stderr = tc.stdout, tc.stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			src, err := h.ProcessLogSource(Process{PID: cmd.Process.Pid, Args: []string{"sleep"}})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "redirect its output to a file") {
					t.Fatalf("ProcessLogSource = %+v, %v; want an error naming %s and the fix", src, err, tc.wantErr)
				}
				return
			}
			if err != nil || src.File != tc.want {
				t.Fatalf("ProcessLogSource = %+v, %v; want the file %s", src, err, tc.want)
			}
		})
	}
}

// TestProcessLogSourceTakesTheJournalOfItsUnit checks a systemd service's
// daemon, whose output is a socket to the journal, on a fixture rootfs: its
// unit is read from its cgroup (v2 and v1), else it is matched by PID; with
// no journal on the host, the socket is refused.
func TestProcessLogSourceTakesTheJournalOfItsUnit(t *testing.T) {
	for _, tc := range []struct {
		name, cgroup string
		journal      bool
		want         LogSource
		wantErr      string
	}{
		{name: "cgroup v2", cgroup: "0::/system.slice/kubelet.service\n", journal: true,
			want: LogSource{Unit: "kubelet.service", PID: 42}},
		{name: "cgroup v1", journal: true,
			cgroup: "12:pids:/system.slice/containerd.service\n5:memory:/system.slice/containerd.service\n1:name=systemd:/system.slice/containerd.service\n",
			want:   LogSource{Unit: "containerd.service", PID: 42}},
		{name: "a nested service", cgroup: "0::/system.slice/kubelet.service/kubelet-sub.slice\n", journal: true,
			want: LogSource{Unit: "kubelet.service", PID: 42}},
		{name: "no unit", cgroup: "0::/user.slice/user-0.slice/session-3.scope\n", journal: true,
			want: LogSource{PID: 42}},
		{name: "no journal", cgroup: "0::/system.slice/kubelet.service\n", wantErr: "keeps no journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeRootfs(t)
			fd := filepath.Join(root, "proc/42/fd")
			if err := os.MkdirAll(fd, 0o755); err != nil {
				t.Fatal(err)
			}
			for n, target := range map[string]string{"1": "socket:[3001]", "2": "socket:[3001]"} {
				if err := os.Symlink(target, filepath.Join(fd, n)); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, filepath.Join(root, "proc/42/cgroup"), tc.cgroup)
			if tc.journal {
				if err := os.MkdirAll(filepath.Join(root, "run/log/journal"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			h, err := New(root)
			if err != nil {
				t.Fatal(err)
			}
			src, err := h.ProcessLogSource(Process{PID: 42, Args: []string{"/usr/bin/kubelet"}})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ProcessLogSource = %+v, %v; want an error saying %q", src, err, tc.wantErr)
				}
				return
			}
			if err != nil || src != tc.want {
				t.Fatalf("ProcessLogSource = %+v, %v; want %+v", src, err, tc.want)
			}
		})
	}
}

// TestCopyLogSinceCopiesWhatFollowsTheMark checks a log file: what was
// written after the mark only; all of a file rotated since; the last bytes
// of too long a log, saying how many were left out.
func TestCopyLogSinceCopiesWhatFollowsTheMark(t *testing.T) {
	h, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kubelet.log")
	writeFile(t, p, "before the run\n")
	m := h.MarkLog(LogSource{File: p})
	appendFile(t, p, "during the run\n")
	if got := copyLog(t, h, m, 1<<20); got != "during the run\n" {
		t.Errorf("after the mark: %q, want only what was written after it", got)
	}
	if got := copyLog(t, h, m, 4); got != "[node-test: 11 earlier bytes of the log left out]\nrun\n" {
		t.Errorf("at most 4 bytes: %q", got)
	}
	writeFile(t, p, "rotated\n")
	if got := copyLog(t, h, m, 1<<20); got != "rotated\n" {
		t.Errorf("a file shorter than at the mark: %q, want all of it", got)
	}
}

// recordingCmder stands for the host's journalctl: it records the command
// it is given and prints out.
type recordingCmder struct {
	argv []string
	out  string
}

func (r *recordingCmder) Command(_ context.Context, name string, args ...string) Cmd {
	r.argv = append([]string{name}, args...)
	return r
}

func (r *recordingCmder) Output() ([]byte, error) { return []byte(r.out), nil }

// TestCopyLogSinceAsksTheJournal checks the journalctl command a journal
// log is read with: the host's journalctl, from the mark on, by unit or by
// PID; and the error when the host has no journalctl.
func TestCopyLogSinceAsksTheJournal(t *testing.T) {
	root := fakeRootfs(t)
	h, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingCmder{out: "Nov 28 kubelet[42]: started\n"}
	h.Cmder = rec
	mark := LogMark{Source: LogSource{Unit: "kubelet.service", PID: 42}, Time: time.Unix(1795829591, 5e8)}
	var out bytes.Buffer
	if err := h.CopyLogSince(context.Background(), mark, &out, 1<<20); err == nil || !strings.Contains(err.Error(), "no journalctl") {
		t.Errorf("without journalctl on the host: %v", err)
	}
	writeFile(t, filepath.Join(root, "bin/journalctl"), "")
	if err := h.CopyLogSince(context.Background(), mark, &out, 1<<20); err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/journalctl", "--no-pager", "--output=short-iso-precise", "--since=@1795829591.500000", "--unit=kubelet.service"}
	if !slices.Equal(rec.argv, want) || out.String() != rec.out {
		t.Errorf("ran %q and copied %q; want %q and journalctl's output", rec.argv, out.String(), want)
	}
	mark.Source.Unit = ""
	if err := h.CopyLogSince(context.Background(), mark, &out, 1<<20); err != nil {
		t.Fatal(err)
	}
	if rec.argv[len(rec.argv)-1] != "_PID=42" {
		t.Errorf("a process in no unit: ran %q, want it matched by _PID=42", rec.argv)
	}
	mark.LaterPIDs = []int{77}
	if err := h.CopyLogSince(context.Background(), mark, &out, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := rec.argv[len(rec.argv)-2:]; !slices.Equal(got, []string{"_PID=42", "_PID=77"}) {
		t.Errorf("a process restarted as pid 77: ran %q, want both pids matched", rec.argv)
	}
}

// TestKernelLogSinceMark writes messages to the kernel's log around a mark
// and wants only the one after it, in dmesg's form. It needs root.
func TestKernelLogSinceMark(t *testing.T) {
	kmsg, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		testenv.Missing(t, "needs to write the kernel's log (root): %v", err)
	}
	defer kmsg.Close()
	h, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	id := rand.Uint64()
	before, after := fmt.Sprintf("node-test %x: before the mark", id), fmt.Sprintf("node-test %x: after the mark", id)
	if _, err := kmsg.WriteString(before + "\n"); err != nil {
		t.Fatal(err)
	}
	mark, err := h.KernelLogMark()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kmsg.WriteString(after + "\n"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := h.CopyKernelLogSince(mark, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, before) || !strings.Contains(got, after) {
		t.Fatalf("kernel log since the mark:\n%s\nwant %q and not %q", got, after, before)
	}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		var sec, usec int
		if n, _ := fmt.Sscanf(line, "[%d.%d]", &sec, &usec); n != 2 {
			t.Errorf("line %q is not in dmesg's form [seconds.micros] message", line)
		}
	}
}

func copyLog(t *testing.T, h *Host, m LogMark, max int64) string {
	t.Helper()
	var b bytes.Buffer
	if err := h.CopyLogSince(context.Background(), m, &b, max); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
