package controlplane

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeAPIServer is a TLS backend standing in for the apiserver.
func fakeAPIServer(t *testing.T, h http.HandlerFunc) (*url.URL, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return u, pool
}

func serveProxy(t *testing.T, target *url.URL, pool *x509.CertPool) string {
	t.Helper()
	front := httptest.NewServer(newInsecureProxy(target, "secret", pool, slog.New(slog.DiscardHandler)))
	t.Cleanup(front.Close)
	return front.URL
}

func TestProxyInjectsTokenAndKeepsPath(t *testing.T) {
	target, pool := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s %s", r.Proto, r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
	})
	front := serveProxy(t, target, pool)

	req, _ := http.NewRequest(http.MethodPut, front+"/api/v1/namespaces?watch=true", nil)
	req.Header.Set("Authorization", "Bearer client-supplied")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := "HTTP/1.1 PUT /api/v1/namespaces?watch=true Bearer secret"; string(body) != want {
		t.Errorf("backend saw %q, want %q", body, want)
	}
}

func TestProxyRejectsUnknownCA(t *testing.T) {
	target, _ := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {})
	front := serveProxy(t, target, x509.NewCertPool())
	resp, err := http.Get(front + "/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502 for an untrusted backend", resp.StatusCode)
	}
}

// TestProxyStreams checks that a chunk reaches the client while the backend
// is still writing, as a watch or `logs -f` needs.
func TestProxyStreams(t *testing.T) {
	release := make(chan struct{})
	target, pool := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "first event")
		w.(http.Flusher).Flush()
		<-release
	})
	defer close(release)
	front := serveProxy(t, target, pool)

	resp, err := http.Get(front + "/api/v1/pods?watch=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if l := firstLine(t, resp.Body, 5*time.Second, "first event not delivered while the backend keeps the stream open"); l != "first event\n" {
		t.Errorf("first line = %q", l)
	}
}

// firstLine returns the first line read from r, failing t with message if
// none comes within timeout: a stream must deliver what it has at once.
func firstLine(t *testing.T, r io.Reader, timeout time.Duration, message string) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(r).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		return l
	case <-time.After(timeout):
		t.Fatal(message)
		return ""
	}
}

// TestProxyUpgrade runs SPDY and websocket upgrades through the proxy and
// echoes bytes both ways, as exec/attach/port-forward do.
func TestProxyUpgrade(t *testing.T) {
	for _, proto := range []string{"SPDY/3.1", "websocket"} {
		t.Run(proto, func(t *testing.T) { testProxyUpgrade(t, proto) })
	}
}

func testProxyUpgrade(t *testing.T, proto string) {
	target, pool := fakeAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != proto || r.Header.Get("Authorization") != "Bearer secret" || r.ProtoMajor != 1 {
			http.Error(w, "bad upgrade request", http.StatusBadRequest)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+proto+"\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		fmt.Fprint(rw, "echo: "+line)
		rw.Flush()
	})
	front := serveProxy(t, target, pool)

	conn, err := net.Dial("tcp", strings.TrimPrefix(front, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "GET /api/v1/namespaces/x/pods/y/exec HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: "+proto+"\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status = %s (%s), want 101", resp.Status, body)
	}
	fmt.Fprint(conn, "ping\n")
	if got, _ := br.ReadString('\n'); got != "echo: ping\n" {
		t.Errorf("echo = %q", got)
	}
}
