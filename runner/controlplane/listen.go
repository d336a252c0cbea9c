package controlplane

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrAddressInUse is matched (errors.Is) by the error Start returns when one
// of the control plane's addresses is already taken.
var ErrAddressInUse = errors.New("address in use")

// AddressInUseError names an address that could not be bound and, when
// /proc tells, the process listening on it.
type AddressInUseError struct {
	Addr    string // host:port that was requested
	PID     int    // 0 when the owner is unknown
	Command string // /proc/<pid>/comm of the owner, if known
	Err     error  // the underlying listen error
}

func (e *AddressInUseError) Error() string {
	if e.PID == 0 {
		return e.Addr + " is in use"
	}
	return fmt.Sprintf("%s is in use by pid %d (%s)", e.Addr, e.PID, e.Command)
}

// Is makes errors.Is(err, ErrAddressInUse) true.
func (e *AddressInUseError) Is(target error) bool { return target == ErrAddressInUse }

func (e *AddressInUseError) Unwrap() error { return e.Err }

// listenTCP binds addr, turning EADDRINUSE into an *AddressInUseError.
func listenTCP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, err
	}
	inUse := &AddressInUseError{Addr: addr, Err: err}
	if host, portStr, splitErr := net.SplitHostPort(addr); splitErr == nil {
		if port, convErr := strconv.Atoi(portStr); convErr == nil {
			inUse.PID, inUse.Command = portOwner("/proc", net.ParseIP(host), port)
		}
	}
	return nil, inUse
}

// freeLoopbackPort asks the kernel for a free port on 127.0.0.1. The port is
// released before it is returned, for components (etcd) that bind by URL.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	return port, nil
}

// portOwner returns the pid and command name of the process holding a TCP
// listening socket that conflicts with ip:port (the same address, or a
// wildcard one), by reading procRoot/net/tcp{,6} and procRoot/*/fd. It
// returns 0, "" when it cannot tell (another network namespace, no
// permission to read other processes' fds).
func portOwner(procRoot string, ip net.IP, port int) (int, string) {
	inodes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		for _, ino := range listeningInodes(filepath.Join(procRoot, f), ip, port) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return 0, ""
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(procRoot, e.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] {
				return pid, processName(filepath.Join(procRoot, e.Name()))
			}
		}
	}
	return 0, ""
}

// processName is the command name in procDir/comm, which the kernel cuts
// to 15 bytes; the base name of argv[0] replaces it when it extends it.
func processName(procDir string) string {
	b, _ := os.ReadFile(filepath.Join(procDir, "comm"))
	comm := strings.TrimSpace(string(b))
	cmdline, _ := os.ReadFile(filepath.Join(procDir, "cmdline"))
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	if base := filepath.Base(argv0); len(comm) == 15 && strings.HasPrefix(base, comm) {
		return base
	}
	return comm
}

// tcpListen is the st column of /proc/net/tcp for a listening socket.
const tcpListen = "0A"

// listeningInodes returns the inodes of LISTEN sockets in a /proc/net/tcp
// style file whose local address would conflict with ip:port.
func listeningInodes(path string, ip net.IP, port int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		lip, lport, ok := parseProcAddr(fields[1])
		if !ok || lport != port {
			continue
		}
		if lip.IsUnspecified() || ip == nil || ip.IsUnspecified() || lip.Equal(ip) {
			out = append(out, fields[9])
		}
	}
	return out
}

// parseProcAddr parses "0100007F:1F90" (IPv4) or the 32-hex-digit IPv6 form.
// The kernel prints the address as 32-bit words in host byte order.
func parseProcAddr(s string) (net.IP, int, bool) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, false
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return nil, 0, false
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil || (len(raw) != net.IPv4len && len(raw) != net.IPv6len) {
		return nil, 0, false
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	return ip, int(port), true
}

// CheckFree reports whether addr can be bound now, returning an
// *AddressInUseError naming its owner when it cannot: a run checks the
// control plane's addresses before anything else starts.
func CheckFree(addr string) error {
	ln, err := listenTCP(addr)
	if err != nil {
		return err
	}
	return ln.Close()
}
