package controlplane

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// keepLogs keeps the components' logs of integration runs for inspection.
var keepLogs = flag.String("controlplane.logdir", "", "write etcd and kube-apiserver logs of integration tests under this directory and keep them")

// upstreamToken plays the token a kubelet configured upstream's way sends.
const upstreamToken = "node-test-upstream-token"

// skipIfShort keeps the integration tier out of `go test -short`.
func skipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts etcd and kube-apiserver in process; skipped with -short")
	}
}

// startForTest starts a control plane on kernel-chosen ports. Its logs go to
// a test directory and their tails are printed if the test fails.
func startForTest(t *testing.T, parent string) *ControlPlane {
	t.Helper()
	logDir := t.TempDir()
	if *keepLogs != "" {
		logDir = filepath.Join(*keepLogs, strings.ReplaceAll(t.Name(), "/", "_"), strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	cfg := Config{
		InsecureAddress: "127.0.0.1:0",
		SecurePort:      0,
		BearerToken:     upstreamToken,
		TempDir:         parent,
		LogDir:          logDir,
		Logger:          slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	cp, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range []string{etcdLogFileName, apiserverLogName} {
				data, _ := os.ReadFile(filepath.Join(logDir, name))
				lines := strings.Split(strings.TrimSpace(string(data)), "\n")
				t.Logf("last lines of %s:\n%s", name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
	})
	begin := time.Now()
	if err := cp.Start(t.Context()); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Logf("control plane ready in %v: insecure %s, secure %s", time.Since(begin), cp.InsecureURL(), cp.SecureURL())
	return cp
}

// TestIntegrationControlPlane starts one control plane, exercises it
// through both endpoints, stops it and checks nothing is left.
func TestIntegrationControlPlane(t *testing.T) {
	skipIfShort(t)
	parent := t.TempDir()
	cp := startForTest(t, parent)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cp.Stop()
		}
	})
	insecure := kubernetes.NewForConfigOrDie(&rest.Config{Host: cp.InsecureURL()})
	ctx := t.Context()

	t.Run("objects through the insecure endpoint", func(t *testing.T) {
		ns := createNamespace(t, insecure, "nt-objects")
		cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}, Data: map[string]string{"k": "v1"}}
		if _, err := insecure.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create configmap: %v", err)
		}
		got, err := insecure.CoreV1().ConfigMaps(ns).Get(ctx, "cm", metav1.GetOptions{})
		if err != nil || got.Data["k"] != "v1" {
			t.Fatalf("get configmap = %v, %v", got, err)
		}
		got.Data["k"] = "v2"
		if _, err := insecure.CoreV1().ConfigMaps(ns).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update configmap: %v", err)
		}
		list, err := insecure.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) == 0 {
			t.Fatalf("list configmaps = %v, %v", list, err)
		}
		// The secure port with the admin token and the CA works too.
		secure := kubernetes.NewForConfigOrDie(cp.RESTConfig())
		if _, err := secure.CoreV1().ConfigMaps(ns).Get(ctx, "cm", metav1.GetOptions{}); err != nil {
			t.Fatalf("get configmap through RESTConfig: %v", err)
		}
	})

	t.Run("deleted namespace disappears", func(t *testing.T) {
		ns := createNamespace(t, insecure, "nt-delete")
		// Bound to a node that has no kubelet. Grace period 0 lets the
		// namespace controller's delete remove it at once; with the default
		// 30s it would wait for a kubelet forever (no pod GC runs here).
		createPod(t, insecure, ns, "p", "no-such-node", 0)
		cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}
		if _, err := insecure.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		if err := insecure.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete namespace: %v", err)
		}
		for {
			_, err := insecure.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				t.Logf("namespace gone %v after delete", time.Since(begin).Round(time.Millisecond))
				break
			}
			if time.Since(begin) > time.Minute {
				t.Fatalf("namespace %s still there a minute after delete (err %v)", ns, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("watch streams through the insecure endpoint", func(t *testing.T) {
		ns := createNamespace(t, insecure, "nt-watch")
		list, err := insecure.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := insecure.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		defer w.Stop()
		cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched"}}
		if _, err := insecure.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w.ResultChan():
			got, ok := ev.Object.(*v1.ConfigMap)
			if ev.Type != watch.Added || !ok || got.Name != "watched" {
				t.Fatalf("first event = %s %#v", ev.Type, ev.Object)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no watch event within 10s")
		}
	})

	t.Run("upgrade request reaches the apiserver", func(t *testing.T) {
		ns := createNamespace(t, insecure, "nt-upgrade")
		createPod(t, insecure, ns, "p", "no-such-node", 0)
		resp, body := rawUpgrade(t, cp.InsecureURL(), "/api/v1/namespaces/"+ns+"/pods/p/exec?command=true&stdout=true&container=c")
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusSwitchingProtocols {
			t.Fatalf("status %s, want an apiserver error: %s", resp.Status, body)
		}
		var status metav1.Status
		if err := json.Unmarshal(body, &status); err != nil || status.Kind != "Status" {
			t.Fatalf("response %s %q is not an apiserver Status (%v)", resp.Status, body, err)
		}
		t.Logf("apiserver answered %s: %s", resp.Status, status.Message)
	})

	t.Run("exec and logs -f reach a kubelet", func(t *testing.T) {
		kubelet := startFakeKubelet(t)
		node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "fake-kubelet"}}
		node, err := insecure.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = insecure.CoreV1().Nodes().Delete(context.Background(), node.Name, metav1.DeleteOptions{}) })
		node.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "127.0.0.1"}}
		node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(kubelet.port)
		if _, err := insecure.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		ns := createNamespace(t, insecure, "nt-kubelet")
		createPod(t, insecure, ns, "p", node.Name, 0)

		// exec: the upgrade goes client → :8080 → apiserver → kubelet, then bytes flow both ways.
		resp, conn := rawUpgradeConn(t, cp.InsecureURL(), "/api/v1/namespaces/"+ns+"/pods/p/exec?command=cat&stdin=true&stdout=true&container=c")
		if resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("exec status %s, want 101: %s", resp.Status, body)
		}
		fmt.Fprint(conn, "ping\n")
		if got, err := conn.r.ReadString('\n'); got != "echo: ping\n" {
			t.Fatalf("exec echo = %q, %v", got, err)
		}
		if got := <-kubelet.clientCN; got != "kube-apiserver-kubelet-client" {
			t.Errorf("apiserver presented client certificate %q to the kubelet", got)
		}

		// logs -f: the first line arrives while the kubelet keeps the stream open.
		stream, err := insecure.CoreV1().Pods(ns).GetLogs("p", &v1.PodLogOptions{Container: "c", Follow: true}).Stream(ctx)
		if err != nil {
			t.Fatalf("logs -f: %v", err)
		}
		defer stream.Close()
		if l := firstLine(t, stream, 10*time.Second, "first log line not streamed within 10s"); l != "line 1\n" {
			t.Errorf("first log line = %q", l)
		}
	})

	t.Run("bearer token on the secure port", func(t *testing.T) {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // what an upstream-style kubelet does
		}}
		for _, tc := range []struct {
			token string
			want  int
		}{
			{upstreamToken, http.StatusOK},
			{cp.AdminToken(), http.StatusOK},
			{"wrong-token", http.StatusUnauthorized},
			{"", http.StatusUnauthorized},
		} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cp.SecureURL()+"/api/v1/namespaces", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("token %q: status %d, want %d", tc.token, resp.StatusCode, tc.want)
			}
		}
	})

	t.Run("taken addresses fail fast", func(t *testing.T) {
		for _, cfg := range []Config{
			{InsecureAddress: cp.insecureAddr},
			{InsecureAddress: "127.0.0.1:0", SecurePort: cp.securePort},
		} {
			parent := t.TempDir()
			cfg.TempDir = parent
			second, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			err = second.Start(ctx)
			took := time.Since(begin)
			if !errors.Is(err, ErrAddressInUse) || took > 5*time.Second {
				t.Fatalf("Start() = %v after %v, want ErrAddressInUse within 5s", err, took)
			}
			wantAddr := cfg.InsecureAddress
			if cfg.SecurePort != 0 {
				wantAddr = portAddr(cfg.SecurePort)
			}
			wantOwner := fmt.Sprintf("is in use by pid %d (", os.Getpid())
			if !strings.Contains(err.Error(), wantAddr) || !strings.Contains(err.Error(), wantOwner) {
				t.Errorf("Start() = %q, want it to name %s and %q", err, wantAddr, wantOwner)
			}
			t.Logf("failed in %v: %v", took, err)
			assertNothingLeft(t, second, parent)
		}
	})

	t.Run("kubeconfig", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kubeconfig")
		if err := cp.WriteKubeconfig(path); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, cp.KubeconfigPath()} {
			cfg, err := clientcmd.BuildConfigFromFlags("", p)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != cp.InsecureURL() || cfg.BearerToken != "" || cfg.CertFile != "" {
				t.Errorf("%s: host %q token %q cert %q; want the insecure URL, no credentials", p, cfg.Host, cfg.BearerToken, cfg.CertFile)
			}
			if _, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
				t.Errorf("%s: get default namespace: %v", p, err)
			}
		}
	})

	select {
	case err := <-cp.Err():
		t.Fatalf("Err() reported %v while running", err)
	default:
	}

	// Stop with watches open, as a kubelet keeps several, and check that
	// every listener (etcd's included) and the run directory are gone.
	openWatch, err := insecure.CoreV1().Namespaces().Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer openWatch.Stop()
	// And one on the secure port, as a kubelet set up the upstream way keeps
	// (https://127.0.0.1:6443, insecure TLS, its token).
	upstreamWay := kubernetes.NewForConfigOrDie(&rest.Config{Host: cp.SecureURL(), BearerToken: upstreamToken,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	secureWatch, err := upstreamWay.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer secureWatch.Stop()
	etcdCfg := cp.etcd.Config()
	// etcd serves its clients on a unix socket in the 0700 run directory,
	// never on a TCP port any local process could write the store through.
	client := etcdCfg.ListenClientUrls[0]
	socketDir := filepath.Dir(client.Path)
	if client.Scheme != "unix" || (socketDir != cp.dir && socketDir != cp.socketDir) {
		t.Errorf("etcd serves its clients at %s, want a unix socket in the run directory %s", client.String(), cp.dir)
	}
	if fi, err := os.Stat(socketDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("etcd's socket directory %s: %v; want mode 0700", socketDir, err)
	}
	defer func() {
		if _, err := os.Stat(socketDir); !os.IsNotExist(err) {
			t.Errorf("etcd's socket directory %s is left after Stop: %v", socketDir, err)
		}
	}()
	etcdAddrs := []string{etcdCfg.ListenPeerUrls[0].Host}
	goroutines := runtime.NumGoroutine()
	begin := time.Now()
	err = cp.Stop()
	stopped = true
	if err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	took := time.Since(begin)
	t.Logf("stopped in %v; goroutines %d before, %d after", took, goroutines, runtime.NumGoroutine())
	if took > 10*time.Second {
		t.Errorf("Stop took %v with watches open, want < 10s", took)
	}
	for range openWatch.ResultChan() { // drains until the stream ends
	}
	for range secureWatch.ResultChan() {
	}
	assertNothingLeft(t, cp, parent)
	for _, addr := range etcdAddrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("etcd address %s still bound after Stop: %v", addr, err)
			continue
		}
		ln.Close()
	}
	if fi, err := os.Stat(filepath.Join(cp.LogDir(), apiserverLogName)); err != nil || fi.Size() == 0 {
		t.Errorf("kube-apiserver.log in LogDir missing or empty after Stop (%v)", err)
	}
	if err := cp.Stop(); err != nil {
		t.Errorf("second Stop() = %v", err)
	}
}

// TestIntegrationRestart checks that a second control plane starts in the
// same process once the first has stopped.
func TestIntegrationRestart(t *testing.T) {
	skipIfShort(t)
	for i := range 2 {
		parent := t.TempDir()
		cp := startForTest(t, parent)
		client := kubernetes.NewForConfigOrDie(&rest.Config{Host: cp.InsecureURL()})
		if _, err := client.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
			t.Errorf("run %d: get default namespace: %v", i, err)
		}
		if err := cp.Stop(); err != nil {
			t.Fatalf("run %d: Stop() = %v", i, err)
		}
		assertNothingLeft(t, cp, parent)
	}
}

func createNamespace(t *testing.T, c kubernetes.Interface, name string) string {
	t.Helper()
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	return name
}

func createPod(t *testing.T, c kubernetes.Interface, ns, name, node string, grace int64) {
	t.Helper()
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.PodSpec{
			NodeName:                      node,
			TerminationGracePeriodSeconds: &grace,
			Containers:                    []v1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	if _, err := c.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s/%s: %v", ns, name, err)
	}
}

// upgradeConn is a raw client connection after an upgrade handshake.
type upgradeConn struct {
	net.Conn
	r *bufio.Reader
}

// rawUpgradeConn sends an SPDY upgrade request for path to base and returns
// the response and the connection.
func rawUpgradeConn(t *testing.T, base, path string) (*http.Response, *upgradeConn) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"+
		"X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n", path, strings.TrimPrefix(base, "http://"))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read upgrade response: %v", err)
	}
	return resp, &upgradeConn{Conn: conn, r: br}
}

func rawUpgrade(t *testing.T, base, path string) (*http.Response, []byte) {
	t.Helper()
	resp, _ := rawUpgradeConn(t, base, path)
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// fakeKubelet answers exec with an upgrade and an echo, and containerLogs
// with one line followed by an open stream.
type fakeKubelet struct {
	port     int
	clientCN chan string
}

func startFakeKubelet(t *testing.T) *fakeKubelet {
	t.Helper()
	k := &fakeKubelet{clientCN: make(chan string, 10)}
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/exec/", func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			k.clientCN <- r.TLS.PeerCertificates[0].Subject.CommonName
		} else {
			k.clientCN <- ""
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"+
			"X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		fmt.Fprint(rw, "echo: "+line)
		rw.Flush()
	})
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "line 1")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(func() {
		close(release)
		srv.CloseClientConnections()
		srv.Close()
	})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	k.port, _ = strconv.Atoi(port)
	return k
}

// testWriter sends the control plane's slog output to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// TestIntegrationStartFailures checks that a start that fails inside the
// apiserver, or runs out of time, reports the component with its log and
// leaves nothing behind.
func TestIntegrationStartFailures(t *testing.T) {
	skipIfShort(t)
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		options func(*options.ServerRunOptions)
		want    string
	}{
		{
			name:    "apiserver refuses its options",
			options: func(o *options.ServerRunOptions) { o.Authorization.Modes = []string{"Bogus"} },
			want:    "start kube-apiserver: validate options:",
		},
		{
			name:   "start timeout",
			mutate: func(c *Config) { c.StartTimeout = 1500 * time.Millisecond },
			want:   "not ready after 1.5s",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			cfg := Config{InsecureAddress: "127.0.0.1:0", TempDir: parent,
				Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			if *keepLogs != "" {
				cfg.LogDir = filepath.Join(*keepLogs, strings.ReplaceAll(t.Name(), "/", "_"))
			}
			if tc.mutate != nil {
				tc.mutate(&cfg)
			}
			cp, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cp.optionsHook = tc.options
			t.Cleanup(func() { _ = cp.Stop() }) // in case Start unexpectedly succeeds
			begin := time.Now()
			err = cp.Start(t.Context())
			took := time.Since(begin)
			var compErr *ComponentError
			if !errors.As(err, &compErr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start() = %v, want a *ComponentError containing %q", err, tc.want)
			}
			t.Logf("failed after %v: %s error with %d log lines: %v", took, compErr.Component, len(compErr.Log), compErr.Err)
			if compErr.Component == "kube-apiserver" && tc.name == "start timeout" && len(compErr.Log) == 0 {
				t.Error("no apiserver log lines in the error")
			}
			assertNothingLeft(t, cp, parent)
		})
	}
}

// TestIntegrationOneAtATime checks that a second control plane in the same
// process is refused without disturbing the first.
func TestIntegrationOneAtATime(t *testing.T) {
	skipIfShort(t)
	cp := startForTest(t, t.TempDir())
	defer func() {
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	}()
	parent := t.TempDir()
	second, err := New(Config{InsecureAddress: "127.0.0.1:0", TempDir: parent})
	if err != nil {
		t.Fatal(err)
	}
	err = second.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "another control plane is running") {
		t.Fatalf("second Start() = %v, want a refusal", err)
	}
	assertNothingLeft(t, second, parent)
	client := kubernetes.NewForConfigOrDie(&rest.Config{Host: cp.InsecureURL()})
	if _, err := client.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
		t.Errorf("first control plane after the refused second: %v", err)
	}
}
