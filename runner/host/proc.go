package host

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
)

// Process is one entry of the host's process table.
type Process struct {
	PID int
	// Args is the process's command line, argv[0] first.
	Args []string
}

// Name is the base name of the process's argv[0]: "kubelet" for
// /usr/bin/kubelet.
func (p Process) Name() string {
	if len(p.Args) == 0 {
		return ""
	}
	return path.Base(p.Args[0])
}

// Processes lists the host's processes, by PID, from the /proc of the
// rootfs. Kernel threads (no command line) and processes that exit while
// the table is read are left out.
func (h *Host) Processes() ([]Process, error) {
	entries, err := os.ReadDir(h.Path("/proc"))
	if err != nil {
		return nil, fmt.Errorf("read the host's process table: %w", err)
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		b, err := h.ReadFile(path.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
		p := Process{PID: pid, Args: make([]string, len(args))}
		for i, a := range args {
			p.Args[i] = string(a)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Process) int { return a.PID - b.PID })
	return out, nil
}

// FindProcess returns the first of procs whose argv[0] base name is name.
func FindProcess(procs []Process, name string) (Process, bool) {
	for _, p := range procs {
		if p.Name() == name {
			return p, true
		}
	}
	return Process{}, false
}

// ReadDir lists the host's directory p, sorted by name.
func (h *Host) ReadDir(p string) ([]fs.DirEntry, error) {
	return os.ReadDir(h.Path(p))
}

// Stat describes the host's file p, following symbolic links.
func (h *Host) Stat(p string) (fs.FileInfo, error) {
	return os.Stat(h.Path(p))
}
