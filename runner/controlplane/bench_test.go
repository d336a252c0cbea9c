package controlplane

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
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

// BenchmarkNamespaceDeletion measures how fast the namespace controller
// empties and removes deleted namespaces: 100 namespaces, each holding a
// ConfigMap and a Secret as a spec's leaves, deleted at once, timed until
// the last is gone. A run's specs delete their namespaces as they end, and
// the run waits at its end for those not gone yet: with 8 or more specs at
// once, the controller must keep up.
func BenchmarkNamespaceDeletion(b *testing.B) {
	skipIfShort(b)
	const count = 100
	cp, err := New(Config{InsecureAddress: "127.0.0.1:0", SecurePort: 0, TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if err := cp.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cp.Stop() }()
	c := kubernetes.NewForConfigOrDie(&rest.Config{Host: cp.InsecureURL(), QPS: -1})
	ctx := b.Context()
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		names := make([]string, count)
		for j := range names {
			ns, err := c.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}, metav1.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			names[j] = ns.Name
			if _, err := c.CoreV1().ConfigMaps(ns.Name).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			if _, err := c.CoreV1().Secrets(ns.Name).Create(ctx, &v1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		begin := time.Now()
		for _, name := range names {
			if err := c.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		for _, name := range names {
			for {
				_, err := c.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		took += time.Since(begin)
	}
	b.ReportMetric(float64(count)*float64(b.N)/took.Seconds(), "namespaces/s")
}
