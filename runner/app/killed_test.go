package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner"
)

// TestIntegrationAKilledRunLeavesNothingTheNextRunDoesNotClean starts a run
// of a static pod spec of upstream's node suite on the local node, kills
// it (SIGKILL, every process of it, as docker kill does) once the spec has
// written its static pod manifest, then runs again into the same report
// directory: the new run removes the manifest, the namespaces and the pins
// the killed run left, and its report is its own.
func TestIntegrationAKilledRunLeavesNothingTheNextRunDoesNotClean(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the local node (make node-up) and the test binaries (make build)")
	}
	bin := builtBinDir(t)
	staticDir, err := filepath.Abs("../../_output/node/manifests")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	common := []string{"run", "--rootfs", "/", "--report-dir", dir, "--bin-dir", bin,
		"--images-dir", filepath.Join(bin, "../images"), "--static-pod-dir", staticDir, "--parallelism", "1"}
	before := manifests(t, staticDir)

	cmd := exec.Command(filepath.Join(bin, "node-test"), append(common, "--focus",
		`\[sig-node\] MirrorPodWithGracePeriod when create a mirror pod mirror pod termination should satisfy grace period when static pod is deleted`)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var written string
	for deadline := time.Now().Add(5 * time.Minute); written == "" && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		for m := range manifests(t, staticDir) {
			if !before[m] {
				written = m
			}
		}
	}
	killTree(cmd.Process.Pid)
	_ = cmd.Wait()
	if written == "" {
		t.Fatalf("the run wrote no static pod manifest in %s within 5 minutes:\n%s", staticDir, out.String())
	}
	t.Logf("killed the run once it wrote %s", written)
	if _, err := os.Stat(written); err != nil {
		t.Fatalf("the killed run's manifest %s is gone already: %v", written, err)
	}

	code, second := run(t, append(common, "--focus", `\[sig-node\] Pods should get a host IP`)...)
	if code != ExitOK {
		t.Fatalf("the run after the killed one: exit code %d:\n%s", code, second)
	}
	if _, err := os.Stat(written); !os.IsNotExist(err) {
		t.Errorf("the killed run's static pod manifest %s is still there after the next run: %v", written, err)
	}
	if !strings.Contains(second, "removed the specs' static pod manifests") {
		t.Errorf("the next run does not say it removed the killed run's manifest:\n%s", second)
	}
	if _, err := os.Stat(runner.PinStateFile); !os.IsNotExist(err) {
		t.Errorf("%s is left after the next run: %v", runner.PinStateFile, err)
	}
	r, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Cases() {
		if strings.Contains(c.Name, "MirrorPodWithGracePeriod") || c.Name == "interrupted" {
			t.Errorf("the report holds the killed run's testcase %q", c.Name)
		}
	}
}

// manifests returns the files of the static pod directory dir.
func manifests(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[filepath.Join(dir, e.Name())] = true
	}
	return out
}

// killTree kills pid and every process descended from it with SIGKILL.
func killTree(pid int) {
	parents := map[int][]int{}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		child, _ := strconv.Atoi(strings.Fields(s)[0])
		if len(fields) > 1 {
			ppid, _ := strconv.Atoi(fields[1])
			parents[ppid] = append(parents[ppid], child)
		}
	}
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = append(queue[1:], parents[p]...)
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}
