package controlplane

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStart measures Start (time to a ready apiserver) and reports the
// process's peak RSS. Stop is not timed. Run it alone, e.g.
//
//	go test -run '^$' -bench BenchmarkStart -benchtime 1x ./runner/controlplane
//
// since the peak RSS is the test process's, whatever ran before.
func BenchmarkStart(b *testing.B) {
	skipIfShort(b)
	var ready time.Duration
	var rssReady int64
	for i := 0; i < b.N; i++ {
		cp, err := New(Config{InsecureAddress: "127.0.0.1:0", SecurePort: 0, TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		if err := cp.Start(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		ready += cp.ReadyDuration()
		rssReady = max(rssReady, procStatusKB(b, "VmRSS"))
		if err := cp.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ms-to-ready")
	b.ReportMetric(float64(rssReady)/1024, "MB-RSS-at-ready")
	b.ReportMetric(float64(procStatusKB(b, "VmHWM"))/1024, "MB-peak-RSS")
}

// procStatusKB reads a "Name: N kB" line of /proc/self/status.
func procStatusKB(tb testing.TB, name string) int64 {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("%s not in /proc/self/status", name)
	return 0
}
