package controlplane

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// newInsecureProxy returns the handler behind the plain-HTTP endpoint: a
// reverse proxy to target (the apiserver's secure port) that trusts only ca
// and sends every request with "Authorization: Bearer <token>", replacing
// any credentials the client sent.
//
// It streams (FlushInterval -1) so watches and `logs -f` are not buffered,
// and it speaks HTTP/1.1 to the apiserver, because connection upgrades
// (exec/attach/port-forward over SPDY or websockets) do not exist in HTTP/2.
func newInsecureProxy(target *url.URL, token string, ca *x509.CertPool, log *slog.Logger) *httputil.ReverseProxy {
	transport := &http.Transport{
		Proxy: nil, // never through HTTP(S)_PROXY: the target is loopback
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:    ca,
			ServerName: "127.0.0.1",
			MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"},
		},
		ForceAttemptHTTP2:   false,
		MaxIdleConns:        200,
		MaxIdleConnsPerHost: 200,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set("Authorization", "Bearer "+token)
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Debug("proxy request to apiserver failed",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
			http.Error(w, "node-test control plane proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
}
