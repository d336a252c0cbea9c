package host

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LogSource is where a host process's log goes: a file it writes to, or
// the systemd journal.
type LogSource struct {
	// File is the host path of the file the process's output goes to; ""
	// when it goes to the journal, where Unit is the process's systemd
	// unit, or "" when it runs in none (matched by PID).
	File string
	Unit string
	// PID is the process's.
	PID int
}

func (s LogSource) String() string {
	switch {
	case s.File != "":
		return s.File
	case s.Unit != "":
		return "the journal of " + s.Unit
	default:
		return fmt.Sprintf("the journal of process %d", s.PID)
	}
}

// journalDirs hold the journal: persistent, then volatile.
var journalDirs = []string{"/var/log/journal", "/run/log/journal"}

// ProcessLogSource finds where process p logs: its standard error, else its
// standard output, when redirected to a file; the journal when it is a
// socket and the host keeps a journal (a systemd service's output).
func (h *Host) ProcessLogSource(p Process) (LogSource, error) {
	var outputs []string
	// The descriptors are links themselves: only the way to them is resolved.
	fds := h.Path(path.Join("/proc", strconv.Itoa(p.PID), "fd"))
	for _, fd := range []string{"2", "1"} {
		target, err := os.Readlink(filepath.Join(fds, fd))
		if err != nil {
			return LogSource{}, fmt.Errorf("%s (pid %d): read its output: %w", p.Name(), p.PID, err)
		}
		if path.IsAbs(target) {
			if fi, err := h.Stat(target); err == nil && fi.Mode().IsRegular() {
				return LogSource{File: target, PID: p.PID}, nil
			}
		}
		outputs = append(outputs, target)
	}
	if strings.HasPrefix(outputs[0], "socket:") || strings.HasPrefix(outputs[1], "socket:") {
		for _, d := range journalDirs {
			if h.Exists(d) {
				return LogSource{Unit: h.systemdUnit(p.PID), PID: p.PID}, nil
			}
		}
		return LogSource{}, fmt.Errorf("%s (pid %d) writes to a socket, and the host keeps no journal (%s)",
			p.Name(), p.PID, strings.Join(journalDirs, ", "))
	}
	return LogSource{}, fmt.Errorf("%s (pid %d) writes to %s, not to a file or the journal: redirect its output to a file",
		p.Name(), p.PID, strings.Join(outputs, " and "))
}

// systemdUnit is the service unit process pid runs in, from its cgroup
// (cgroup v2's single line, or v1's name=systemd or any hierarchy naming a
// service); "" when none does.
func (h *Host) systemdUnit(pid int) string {
	b, err := h.ReadFile(path.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return ""
	}
	unit := ""
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[2], "/") {
			if strings.HasSuffix(c, ".service") {
				unit = c
			}
		}
		if unit != "" && (parts[1] == "" || parts[1] == "name=systemd") {
			break
		}
	}
	return unit
}

// LogMark is where a log stood at some moment: what follows it was logged
// after.
type LogMark struct {
	Source LogSource
	// Offset is the file's size at the mark.
	Offset int64
	// Time is the moment of the mark.
	Time time.Time
	// LaterPIDs are the processes the daemon ran as after a restart: the
	// journal's entries of those are copied too.
	LaterPIDs []int
}

// MarkLog marks the log of src as it stands now.
func (h *Host) MarkLog(src LogSource) LogMark {
	m := LogMark{Source: src, Time: time.Now()}
	if src.File != "" {
		if fi, err := h.Stat(src.File); err == nil {
			m.Offset = fi.Size()
		}
	}
	return m
}

// leftOut opens a copied log whose start was left out, with how many bytes.
const leftOut = "[node-test: %d earlier bytes of the log left out]\n"

// CopyLogSince writes to w what was logged after m, at most max bytes of it:
// the last ones, after a line saying how many were left out. A file that
// shrank since the mark (rotated, truncated) is copied from its start.
func (h *Host) CopyLogSince(ctx context.Context, m LogMark, w io.Writer, max int64) error {
	if m.Source.File != "" {
		return copyFileTail(h.Path(m.Source.File), m.Offset, w, max)
	}
	journalctl := ""
	for _, p := range []string{"/usr/bin/journalctl", "/bin/journalctl"} {
		if h.Exists(p) {
			journalctl = p
			break
		}
	}
	if journalctl == "" {
		return errors.New("the host has no journalctl to read its journal with")
	}
	args := []string{"--no-pager", "--output=short-iso-precise", fmt.Sprintf("--since=@%d.%06d", m.Time.Unix(), m.Time.Nanosecond()/1000)}
	if m.Source.Unit != "" {
		args = append(args, "--unit="+m.Source.Unit)
	} else {
		// journalctl ORs the matches of one field.
		for _, pid := range append([]int{m.Source.PID}, m.LaterPIDs...) {
			args = append(args, "_PID="+strconv.Itoa(pid))
		}
	}
	out, err := h.Cmder.Command(ctx, journalctl, args...).Output()
	if err != nil {
		return err
	}
	if skipped := int64(len(out)) - max; skipped > 0 {
		out = out[skipped:]
		fmt.Fprintf(w, leftOut, skipped)
	}
	_, err = w.Write(out)
	return err
}

// copyFileTail copies file p from offset on, its last max bytes only.
func copyFileTail(p string, offset int64, w io.Writer, max int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size < offset {
		offset = 0
	}
	if skipped := size - offset - max; skipped > 0 {
		offset += skipped
		fmt.Fprintf(w, leftOut, skipped)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	_, err = io.CopyN(w, f, size-offset)
	return err
}

// KernelLogMark is the sequence number of the kernel's last message now
// (/dev/kmsg), or 0 when there is none.
func (h *Host) KernelLogMark() (uint64, error) {
	var last uint64
	err := h.readKmsg(func(seq uint64, _ string) { last = seq })
	return last, err
}

// CopyKernelLogSince writes to w the kernel's messages after sequence
// number mark, as dmesg prints them: seconds since boot, then the message.
// The kernel keeps a bounded ring: older messages may be gone.
func (h *Host) CopyKernelLogSince(mark uint64, w io.Writer) error {
	bw := bufio.NewWriter(w)
	err := h.readKmsg(func(seq uint64, line string) {
		if seq > mark {
			bw.WriteString(line)
			bw.WriteByte('\n')
		}
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// readKmsg reads every message the kernel holds in /dev/kmsg and calls f
// with its sequence number and dmesg's form of it.
func (h *Host) readKmsg(f func(seq uint64, line string)) error {
	fd, err := syscall.Open(h.Path("/dev/kmsg"), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("read the kernel's messages: open /dev/kmsg: %w", err)
	}
	defer syscall.Close(fd)
	buf := make([]byte, 16*1024)
	for {
		n, err := syscall.Read(fd, buf)
		switch {
		case errors.Is(err, syscall.EAGAIN):
			return nil
		case errors.Is(err, syscall.EPIPE):
			continue // overwritten while read: the next one follows
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return fmt.Errorf("read the kernel's messages: /dev/kmsg: %w", err)
		case n == 0:
			return nil
		}
		if seq, line, ok := parseKmsg(string(buf[:n])); ok {
			f(seq, line)
		}
	}
}

// parseKmsg reads one /dev/kmsg record, "prio,seq,usec,flags;message\n"
// then continuation lines, into its sequence number and dmesg's form.
func parseKmsg(rec string) (uint64, string, bool) {
	head, msg, ok := strings.Cut(rec, ";")
	if !ok {
		return 0, "", false
	}
	fields := strings.Split(head, ",")
	if len(fields) < 3 {
		return 0, "", false
	}
	seq, err1 := strconv.ParseUint(fields[1], 10, 64)
	usec, err2 := strconv.ParseUint(fields[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, "", false
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return seq, fmt.Sprintf("[%5d.%06d] %s", usec/1e6, usec%1e6, msg), true
}
