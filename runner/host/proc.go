package host

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
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

// FindDaemon returns the process of the node's daemon name among procs.
// One process of that name is the daemon. Of several kubelets (nodes
// sharing the host), it is the one whose --hostname-override is h.Node, or
// else the one without, which registers the host's name; of several other
// daemons, the one whose command line names h.RuntimeSocket (containerd
// --address), or else the first.
func (h *Host) FindDaemon(procs []Process, name string) (Process, bool) {
	var all []Process
	for _, p := range procs {
		if p.Name() == name {
			all = append(all, p)
		}
	}
	switch {
	case len(all) == 0:
		return Process{}, false
	case len(all) == 1:
		return all[0], true
	case name == "kubelet" && h.Node != "":
		var plain []Process
		for _, p := range all {
			switch override, ok := flagValue(p.Args, "hostname-override"); {
			case !ok:
				plain = append(plain, p)
			case strings.EqualFold(strings.TrimSpace(override), h.Node):
				return p, true
			}
		}
		if len(plain) > 0 {
			return plain[0], true
		}
	case name != "kubelet" && h.RuntimeSocket != "":
		for _, p := range all {
			for _, a := range p.Args[1:] {
				if strings.HasSuffix(a, h.RuntimeSocket) {
					return p, true
				}
			}
		}
		// The daemon at the default socket has none on its command line.
		for _, p := range all {
			if !slices.ContainsFunc(p.Args[1:], func(a string) bool { return strings.HasSuffix(a, ".sock") }) {
				return p, true
			}
		}
	}
	return all[0], true
}

// flagValue returns the value of --name (as --name=v or --name v) in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
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
