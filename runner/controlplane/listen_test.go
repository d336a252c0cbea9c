package controlplane

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/node-test/node-test/internal/testenv"
)

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:1F90": "[::1]:8080",
		"0000000000000000FFFF00000100007F:1F90": "127.0.0.1:8080", // v4-mapped
		"00000000000000000000000000000000:192B": "[::]:6443",
	} {
		ip, port, ok := parseProcAddr(in)
		if !ok {
			t.Errorf("parseProcAddr(%q) failed", in)
			continue
		}
		if got := net.JoinHostPort(ip.String(), fmt.Sprint(port)); got != want {
			t.Errorf("parseProcAddr(%q) = %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "0100007F", "zz:1F90", "0100007F:zz", "0100:0050"} {
		if _, _, ok := parseProcAddr(bad); ok {
			t.Errorf("parseProcAddr(%q) succeeded", bad)
		}
	}
}

// TestPortOwnerFakeProc checks the /proc walk on a hand-made tree: a
// wildcard listener conflicts with a loopback bind; other ports and
// non-listening sockets do not.
func TestPortOwnerFakeProc(t *testing.T) {
	root := t.TempDir()
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0
`
	writeTestFile(t, filepath.Join(root, "net/tcp"), tcp)
	writeTestFile(t, filepath.Join(root, "net/tcp6"), "header\n")
	writeTestFile(t, filepath.Join(root, "4242/comm"), "nginx\n")
	writeTestFile(t, filepath.Join(root, "77/comm"), "other\n")
	for pid, inode := range map[string]string{"4242": "222", "77": "111"} {
		if err := os.MkdirAll(filepath.Join(root, pid, "fd"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("socket:["+inode+"]", filepath.Join(root, pid, "fd", "3")); err != nil {
			t.Fatal(err)
		}
	}

	if pid, comm := portOwner(root, net.ParseIP("127.0.0.1"), 8080); pid != 4242 || comm != "nginx" {
		t.Errorf("portOwner(127.0.0.1:8080) = %d %q, want 4242 nginx", pid, comm)
	}
	if pid, comm := portOwner(root, net.ParseIP("127.0.0.1"), 8081); pid != 77 || comm != "other" {
		t.Errorf("portOwner(127.0.0.1:8081) = %d %q, want 77 other", pid, comm)
	}
	if pid, _ := portOwner(root, net.ParseIP("127.0.0.2"), 8081); pid != 0 {
		t.Errorf("portOwner(127.0.0.2:8081) = %d, want 0 (different address)", pid)
	}
	if pid, _ := portOwner(root, net.ParseIP("127.0.0.1"), 9999); pid != 0 {
		t.Errorf("portOwner(127.0.0.1:9999) = %d, want 0", pid)
	}
	if pid, _ := portOwner(filepath.Join(root, "missing"), net.ParseIP("127.0.0.1"), 8080); pid != 0 {
		t.Errorf("portOwner(missing proc) = %d, want 0", pid)
	}
}

// TestListenTCPNamesOwner holds a port and checks that binding it again
// yields ErrAddressInUse naming this very process.
func TestListenTCPNamesOwner(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()

	ln, err := listenTCP(addr)
	if err == nil {
		ln.Close()
		t.Fatalf("listenTCP(%s) succeeded on a held port", addr)
	}
	if !errors.Is(err, ErrAddressInUse) {
		t.Fatalf("listenTCP error %v does not match ErrAddressInUse", err)
	}
	var inUse *AddressInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("listenTCP error %T is not *AddressInUseError", err)
	}
	if inUse.PID != os.Getpid() {
		testenv.Missing(t, "owner not found (pid %d, want %d); /proc/*/fd unreadable?", inUse.PID, os.Getpid())
	}
	want := fmt.Sprintf("%s is in use by pid %d (%s)", addr, os.Getpid(), processName("/proc/self"))
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestProcessName(t *testing.T) {
	root := t.TempDir()
	for dir, files := range map[string][2]string{
		"short":     {"nginx\n", "/usr/sbin/nginx\x00-g\x00"},
		"truncated": {"controlplane.te\n", "/tmp/go-build1/controlplane.test\x00-test.v\x00"},
		"renamed":   {"kworker/0:1-eve\n", ""},
	} {
		writeTestFile(t, filepath.Join(root, dir, "comm"), files[0])
		writeTestFile(t, filepath.Join(root, dir, "cmdline"), files[1])
	}
	for dir, want := range map[string]string{"short": "nginx", "truncated": "controlplane.test", "renamed": "kworker/0:1-eve"} {
		if got := processName(filepath.Join(root, dir)); got != want {
			t.Errorf("processName(%s) = %q, want %q", dir, got, want)
		}
	}
}

func TestAddressInUseErrorWithoutOwner(t *testing.T) {
	err := error(&AddressInUseError{Addr: "127.0.0.1:8080"})
	if err.Error() != "127.0.0.1:8080 is in use" || !errors.Is(err, ErrAddressInUse) {
		t.Errorf("error = %q", err)
	}
}

// TestStartFailsFastWhenAddressInUse starts nothing heavy: the bind fails
// before etcd or the apiserver, so it runs in the unit tier.
func TestStartFailsFastWhenAddressInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldAddr := held.Addr().String()
	heldPort := held.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"insecure address", Config{InsecureAddress: heldAddr}, "bind insecure endpoint: " + heldAddr + " is in use"},
		{"secure port", Config{InsecureAddress: "127.0.0.1:0", SecurePort: heldPort}, "bind apiserver secure port: " + heldAddr + " is in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			tc.cfg.TempDir = parent
			cp, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			err = cp.Start(t.Context())
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("Start took %v to fail, want < 5s", took)
			}
			if !errors.Is(err, ErrAddressInUse) {
				t.Fatalf("Start() = %v, want ErrAddressInUse", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Start() = %q, want prefix %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("by pid %d", os.Getpid())) {
				t.Logf("owner not named (no /proc access?): %v", err)
			}
			assertNothingLeft(t, cp, parent)
		})
	}
}

// assertNothingLeft checks that a stopped or failed control plane holds no
// listener and left nothing under parent.
func assertNothingLeft(t *testing.T, cp *ControlPlane, parent string) {
	t.Helper()
	for _, addr := range []string{cp.insecureAddr, portAddr(cp.securePort)} {
		if addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("%s still bound after the control plane ended: %v", addr, err)
			continue
		}
		ln.Close()
	}
	if parent != "" {
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("left behind in %s: %s", parent, e.Name())
		}
	}
	if cp.dir != "" {
		if _, err := os.Stat(cp.dir); !os.IsNotExist(err) {
			t.Errorf("run directory %s still exists (stat: %v)", cp.dir, err)
		}
	}
	select {
	case _, ok := <-cp.Err():
		if ok {
			t.Error("Err() delivered an error instead of being closed")
		}
	case <-time.After(time.Second):
		t.Error("Err() not closed")
	}
}

func portAddr(port int) string {
	if port == 0 {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
