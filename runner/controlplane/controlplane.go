package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// Names inside the run directory.
const (
	certDirName        = "pki"
	etcdDirName        = "etcd"
	kubeconfigFileName = "kubeconfig"
	etcdLogFileName    = "etcd.log"
	etcdSocketName     = "etcd.sock"
	apiserverLogName   = "kube-apiserver.log"
)

type state int

// running is held by the control plane that owns the process-wide state
// (klog output, klog.OsExit, the apiserver's globals).
var running atomic.Bool

const (
	stateNew state = iota
	stateRunning
	stateStopped
)

// ControlPlane is an in-process etcd, kube-apiserver and namespace
// controller, with a plain-HTTP endpoint in front. Create it with New, then
// Start it once and Stop it once.
type ControlPlane struct {
	cfg Config
	log *slog.Logger

	lifecycle sync.Mutex // held by Start and Stop for their whole duration
	state     state

	insecureLn   net.Listener
	secureLn     net.Listener
	insecureAddr string // host:port actually bound
	securePort   int

	dir          string
	pki          *pki
	caPEM        []byte
	adminToken   string
	etcdLog      *logSink
	apiserverLog *logSink
	klogRedirect bool
	ownsProcess  bool // holds running
	etcd         *embed.Etcd
	// socketDir holds etcd's socket when the run directory's path is too
	// long for one.
	socketDir     string
	apiCancel     context.CancelCauseFunc
	apiDone       <-chan error
	apiReady      bool
	fatal         *fatalGuard
	httpClient    *http.Client // to the secure port, CA-verified
	nsCancel      context.CancelFunc
	nsDone        <-chan struct{}
	proxy         *http.Server
	proxyDone     chan error
	stopping      chan struct{}
	monitorDone   chan struct{}
	errc          chan error
	readyDuration time.Duration

	// optionsHook, set only by tests, edits the apiserver options before start.
	optionsHook func(*options.ServerRunOptions)
}

// New checks cfg and returns a control plane that is not started yet. It
// creates nothing on disk or on the network.
func New(cfg Config) (*ControlPlane, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("create control plane: %w", err)
	}
	cfg = cfg.complete()
	return &ControlPlane{
		cfg:      cfg,
		log:      cfg.Logger.With(slog.String("component", "controlplane")),
		errc:     make(chan error, 1),
		stopping: make(chan struct{}),
	}, nil
}

// Start brings the control plane up and returns once the apiserver's
// /readyz is ok and the default namespace exists. ctx bounds the start only
// (together with Config.StartTimeout); the components run until Stop.
//
// Both the insecure address and the secure port are bound first, so a taken
// address fails Start within milliseconds with an error matching
// ErrAddressInUse. A failing etcd or apiserver yields a *ComponentError with
// the component's last log lines. Whatever Start made before failing is torn
// down again, run directory included.
//
// Start redirects the process-wide klog output into kube-apiserver.log and
// guards klog.OsExit until Stop (see the package documentation). Cancelling
// Start while the apiserver boots waits for its post-start hooks before
// shutting it down, as stopping it earlier would make it exit the process.
func (c *ControlPlane) Start(ctx context.Context) (err error) {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	if c.state != stateNew {
		return errors.New("start control plane: it can be started only once")
	}
	c.state = stateRunning
	begin := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.StartTimeout,
		fmt.Errorf("control plane not ready after %v", c.cfg.StartTimeout))
	defer cancel()
	defer func() {
		if err != nil {
			c.log.Debug("start failed, tearing down", slog.Any("error", err))
			if stopErr := c.teardown(); stopErr != nil {
				c.log.Warn("tear down after failed start", slog.Any("error", stopErr))
			}
			c.state = stateStopped
		}
	}()

	// 1. Bind every listener before anything heavy happens.
	insecureAddr, err := insecureListenAddress(c.cfg.InsecureAddress, c.cfg.AllowNonLoopback)
	if err != nil {
		return err
	}
	if c.insecureLn, err = listenTCP(insecureAddr); err != nil {
		return fmt.Errorf("bind insecure endpoint: %w", err)
	}
	c.insecureAddr = c.insecureLn.Addr().String()
	if c.secureLn, err = listenTCP(net.JoinHostPort("127.0.0.1", strconv.Itoa(c.cfg.SecurePort))); err != nil {
		return fmt.Errorf("bind apiserver secure port: %w", err)
	}
	c.securePort = c.secureLn.Addr().(*net.TCPAddr).Port

	// 2. The private run directory and its credentials.
	if c.dir, err = os.MkdirTemp(c.cfg.TempDir, "node-test-controlplane-"); err != nil {
		return fmt.Errorf("create run directory: %w", err)
	}
	if err := os.Chmod(c.dir, 0o700); err != nil {
		return fmt.Errorf("restrict run directory: %w", err)
	}
	if c.adminToken, err = randomToken(); err != nil {
		return err
	}
	_, serviceNet, _ := net.ParseCIDR(c.cfg.ServiceClusterIPRange) // validated in New
	if c.pki, err = generatePKI(filepath.Join(c.dir, certDirName), firstIP(serviceNet)); err != nil {
		return fmt.Errorf("generate certificates: %w", err)
	}
	if len(c.cfg.KubeletClientCert) > 0 {
		// The given certificate replaces the per-run one.
		// Its file may hold the key too: both are private.
		if err := writeFile(c.pki.kubeletClientCert, c.cfg.KubeletClientCert, 0o600); err != nil {
			return fmt.Errorf("write the kubelet client certificate: %w", err)
		}
		if err := writeFile(c.pki.kubeletClientKey, kubeletClientKey(c.cfg), 0o600); err != nil {
			return fmt.Errorf("write the kubelet client key: %w", err)
		}
	}
	if c.caPEM, err = os.ReadFile(c.pki.caFile); err != nil {
		return fmt.Errorf("read CA certificate: %w", err)
	}
	if err := c.openLogs(); err != nil {
		return err
	}
	c.log.Debug("listeners bound", slog.String("insecure", c.InsecureURL()), slog.String("secure", c.SecureURL()),
		slog.String("dir", c.dir))

	// 3. etcd, once this control plane owns the process-wide state.
	if !running.CompareAndSwap(false, true) {
		return errors.New("start control plane: another control plane is running in this process")
	}
	c.ownsProcess = true
	etcdStart := time.Now()
	dataDir, durable := filepath.Join(c.dir, etcdDirName), false
	if c.cfg.DataDir != "" {
		if err := os.MkdirAll(c.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("create etcd data dir: %w", err)
		}
		dataDir, durable = c.cfg.DataDir, true
	}
	socket, err := c.etcdSocket()
	if err != nil {
		return err
	}
	etcd, etcdURL, err := startEtcd(ctx, dataDir, socket, durable, c.etcdLog)
	if err != nil {
		return &ComponentError{Component: "etcd", Err: err, Log: c.etcdLog.tail()}
	}
	c.etcd = etcd
	c.log.Debug("etcd ready", slog.String("url", etcdURL), slog.Duration("took", time.Since(etcdStart)))

	// 4. kube-apiserver.
	apiStart := time.Now()
	redirectKlog(c.apiserverLog)
	c.klogRedirect = true
	c.fatal = installFatalGuard()
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.caCert)
	c.httpClient = &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	opts, err := c.apiserverOptions(etcdURL, c.secureLn)
	if err != nil {
		return err
	}
	if c.optionsHook != nil {
		c.optionsHook(opts)
	}
	apiCtx, apiCancel := context.WithCancelCause(context.WithoutCancel(ctx))
	c.apiCancel = apiCancel
	if c.apiDone, err = startAPIServer(apiCtx, opts); err != nil {
		return &ComponentError{Component: "kube-apiserver", Err: err, Log: c.apiserverLog.tail()}
	}
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	c.apiReady = true
	c.log.Debug("kube-apiserver ready", slog.Duration("took", time.Since(apiStart)))

	// 5. Namespace controller.
	nsCtx, nsCancel := context.WithCancel(context.WithoutCancel(ctx))
	c.nsCancel = nsCancel
	if c.nsDone, err = startNamespaceController(nsCtx, c.RESTConfig()); err != nil {
		return err
	}

	// 6. The insecure endpoint.
	target := &url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.securePort))}
	c.proxy = &http.Server{
		Handler:           newInsecureProxy(target, c.adminToken, pool, c.log),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelDebug),
	}
	c.proxyDone = make(chan error, 1)
	go func(srv *http.Server, ln net.Listener, done chan<- error) {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			done <- err
		}
	}(c.proxy, c.insecureLn, c.proxyDone)

	if err := c.WriteKubeconfig(c.KubeconfigPath()); err != nil {
		return err
	}

	c.monitorDone = make(chan struct{})
	go c.monitor()
	c.readyDuration = time.Since(begin)
	c.log.Info("control plane ready",
		slog.String("insecure", c.InsecureURL()), slog.String("secure", c.SecureURL()),
		slog.Duration("took", c.readyDuration))
	return nil
}

// Stop shuts the control plane down, in this order:
//
//  1. the insecure endpoint (the :8080 proxy) stops accepting and closes its connections;
//  2. the namespace controller stops;
//  3. the kube-apiserver shuts down and releases its secure port;
//  4. etcd stops;
//  5. the run directory (certificates, tokens, etcd data, kubeconfig, and the
//     logs unless Config.LogDir is set) is removed, and klog goes back to stderr.
//
// Each wait is bounded by Config.StopTimeout. Stop is idempotent, waits for a
// concurrent Start to return, and closes the Err channel when it is done.
func (c *ControlPlane) Stop() error {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	switch c.state {
	case stateStopped:
		return nil
	case stateNew:
		c.state = stateStopped
		close(c.errc)
		return nil
	}
	c.state = stateStopped
	err := c.teardown()
	if err != nil {
		err = fmt.Errorf("stop control plane: %w", err)
	}
	c.log.Info("control plane stopped")
	return err
}

// Err reports a component that died after Start returned: etcd, the
// apiserver or the insecure endpoint. It delivers at most one error and is
// closed by Stop.
func (c *ControlPlane) Err() <-chan error { return c.errc }

// teardown stops whatever exists, in Stop's order. It is used by Stop and by
// a failed Start.
func (c *ControlPlane) teardown() error {
	var errs []error
	close(c.stopping)
	timeout := c.cfg.StopTimeout

	// 1. The insecure endpoint.
	if c.proxy != nil {
		// Short requests get a moment to finish; watches (the kubelet keeps
		// several open) never do and are cut. Upgraded connections end when
		// the apiserver closes its side in step 3.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		if err := c.proxy.Shutdown(ctx); err != nil {
			_ = c.proxy.Close()
		}
		cancel()
		<-c.proxyDone
	} else if c.insecureLn != nil {
		errs = appendCloseErr(errs, "close insecure listener", c.insecureLn.Close())
	}

	// 2. Namespace controller.
	if c.nsCancel != nil {
		c.nsCancel()
		if c.nsDone != nil && !waitClosed(c.nsDone, timeout) {
			errs = append(errs, fmt.Errorf("stop namespace controller: still running after %v", timeout))
		}
	}

	// 3. kube-apiserver.
	if c.apiCancel != nil {
		if c.apiDone != nil && !c.apiReady {
			// Cancelling the apiserver before its post-start hooks are done
			// makes it log at fatal severity (an exit); let them finish first.
			begin := time.Now()
			c.waitPostStartHooks(timeout)
			c.log.Debug("waited for kube-apiserver post-start hooks before stopping it", slog.Duration("took", time.Since(begin)))
		}
		c.apiCancel(errors.New("control plane stopping"))
		if c.apiDone != nil && !waitClosedErr(c.apiDone, timeout) {
			errs = append(errs, fmt.Errorf("stop kube-apiserver: still running after %v", timeout))
		}
	}
	if c.fatal != nil {
		c.fatal.restore()
	}
	if c.httpClient != nil {
		c.httpClient.CloseIdleConnections()
	}
	if c.secureLn != nil {
		// Already closed by the apiserver if it ran.
		errs = appendCloseErr(errs, "close secure listener", c.secureLn.Close())
	}

	// 4. etcd.
	if c.etcd != nil {
		done := make(chan struct{})
		go func() { defer close(done); c.etcd.Close() }()
		if !waitClosed(done, timeout) {
			errs = append(errs, fmt.Errorf("stop etcd: still running after %v", timeout))
		}
	}
	if c.monitorDone != nil {
		<-c.monitorDone
	}
	close(c.errc)

	// 5. Logs and the run directory.
	if c.klogRedirect {
		restoreKlog()
	}
	for _, s := range []*logSink{c.apiserverLog, c.etcdLog} {
		if s != nil {
			errs = appendCloseErr(errs, "close log", s.close())
		}
	}
	for _, d := range []string{c.dir, c.socketDir} {
		if d == "" {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, fmt.Errorf("remove run directory: %w", err))
		}
	}
	if c.ownsProcess {
		running.Store(false)
	}
	return errors.Join(errs...)
}

// maxSocketPath is the longest path a unix socket may have on Linux (its
// sun_path holds 108 bytes, the terminating NUL included).
const maxSocketPath = 107

// etcdSocket returns the path of etcd's client socket: in the run
// directory, or, when that path is too long for a socket, in a private
// directory of its own under the system's temporary directory, removed by
// Stop.
func (c *ControlPlane) etcdSocket() (string, error) {
	socket := filepath.Join(c.dir, etcdSocketName)
	if len(socket) <= maxSocketPath {
		return socket, nil
	}
	d, err := os.MkdirTemp("", "node-test-etcd-")
	if err != nil {
		return "", fmt.Errorf("create etcd's socket directory: %w", err)
	}
	c.socketDir = d
	if err := os.Chmod(d, 0o700); err != nil {
		return "", fmt.Errorf("restrict etcd's socket directory: %w", err)
	}
	return filepath.Join(d, etcdSocketName), nil
}

// monitor turns a component dying after Start into an error on Err.
func (c *ControlPlane) monitor() {
	defer close(c.monitorDone)
	var err error
	select {
	case <-c.stopping:
		return
	case e := <-c.etcd.Err():
		err = fmt.Errorf("etcd failed: %w", e)
	case <-c.etcd.Server.StopNotify():
		err = errors.New("etcd stopped unexpectedly")
	case e := <-c.apiDone:
		err = fmt.Errorf("kube-apiserver exited: %w", e)
	case code := <-c.fatal.fired:
		err = fmt.Errorf("kube-apiserver failed fatally (klog exit code %d); see %s", code,
			filepath.Join(c.LogDir(), apiserverLogName))
	case e, ok := <-c.proxyDone:
		if !ok {
			return
		}
		err = fmt.Errorf("serve insecure endpoint: %w", e)
	}
	select {
	case <-c.stopping: // an expected consequence of Stop
	default:
		c.log.Error("control plane component failed", slog.Any("error", err))
		c.errc <- err // buffered; this is the only send
	}
}

// waitReady polls /readyz and then the default namespace through the secure
// port until both answer 200, a component fails, or ctx ends.
func (c *ControlPlane) waitReady(ctx context.Context) error {
	lastStatus := "no answer yet"
	check := func(path string) bool {
		code, body, err := c.get(ctx, path)
		switch {
		case err != nil && ctx.Err() != nil: // keep the last real answer
		case err != nil:
			lastStatus = err.Error()
		case code != http.StatusOK:
			lastStatus = fmt.Sprintf("GET %s: %d: %s", path, code, body)
		}
		return err == nil && code == http.StatusOK
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-c.apiDone:
			return &ComponentError{Component: "kube-apiserver", Err: err, Log: c.apiserverLog.tail()}
		case code := <-c.fatal.fired:
			return &ComponentError{
				Component: "kube-apiserver",
				Err:       fmt.Errorf("failed fatally (klog exit code %d)", code),
				Log:       c.apiserverLog.tail(),
			}
		case err := <-c.etcd.Err():
			return &ComponentError{Component: "etcd", Err: err, Log: c.etcdLog.tail()}
		case <-ctx.Done():
			return &ComponentError{
				Component: "kube-apiserver",
				Err:       fmt.Errorf("wait for readiness: %w (last check: %s)", context.Cause(ctx), lastStatus),
				Log:       c.apiserverLog.tail(),
			}
		case <-tick.C:
			if check("/readyz") && check("/api/v1/namespaces/default") {
				return nil
			}
		}
	}
}

// waitPostStartHooks waits, at most timeout, until /healthz lists no
// unfinished post-start hook, or the apiserver exits.
func (c *ControlPlane) waitPostStartHooks(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body, err := c.get(ctx, "/healthz?verbose")
		if err == nil && (code == http.StatusOK || !strings.Contains(body, "[-]poststarthook/")) {
			return
		}
		select {
		case <-ctx.Done():
			c.log.Warn("kube-apiserver post-start hooks still running; stopping it anyway", slog.Duration("waited", timeout))
			return
		case <-c.fatal.fired:
			return
		case <-c.apiDone:
			return
		case <-tick.C:
		}
	}
}

// get sends an authenticated GET to the secure port.
func (c *ControlPlane) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.SecureURL()+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.adminToken)
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	return resp.StatusCode, string(body), nil
}

func (c *ControlPlane) openLogs() error {
	dir := c.cfg.LogDir
	if dir == "" {
		dir = c.dir
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}
	var err error
	if c.etcdLog, err = newLogSink(filepath.Join(dir, etcdLogFileName)); err != nil {
		return err
	}
	if c.apiserverLog, err = newLogSink(filepath.Join(dir, apiserverLogName)); err != nil {
		return err
	}
	return nil
}

// InsecureURL is the plain-HTTP endpoint, e.g. http://127.0.0.1:8080. Every
// request through it acts as cluster admin. Valid after Start.
func (c *ControlPlane) InsecureURL() string {
	if c.insecureAddr == "" {
		return ""
	}
	return "http://" + c.insecureAddr
}

// SecureURL is the apiserver's TLS endpoint, e.g. https://127.0.0.1:6443. It
// requires a token (AdminToken, Config.BearerToken) or a client certificate
// signed by the CA. Valid after Start.
func (c *ControlPlane) SecureURL() string {
	if c.securePort == 0 {
		return ""
	}
	return "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.securePort))
}

// AdminToken is the per-run bearer token of a system:masters user.
func (c *ControlPlane) AdminToken() string { return c.adminToken }

// CertDir is the directory holding the CA (ca.crt, ca.key), the serving
// certificate, the apiserver→kubelet client certificate and the
// service-account keys. It is removed by Stop.
func (c *ControlPlane) CertDir() string {
	if c.pki == nil {
		return ""
	}
	return c.pki.dir
}

// CAFile is the PEM CA certificate that signed the apiserver's serving
// certificate and its kubelet client certificate; a kubelet uses it as its
// client CA. It is removed by Stop; CACert returns the same bytes.
func (c *ControlPlane) CAFile() string {
	if c.pki == nil {
		return ""
	}
	return c.pki.caFile
}

// CACert returns the PEM CA certificate (the content of CAFile).
func (c *ControlPlane) CACert() []byte { return c.caPEM }

// KubeletClientCertFiles are the certificate and key the apiserver presents
// to kubelets: the per-run ones, or Config.KubeletClientCert's; none with
// Config.NoKubeletClientCert.
func (c *ControlPlane) KubeletClientCertFiles() (certFile, keyFile string) {
	if c.pki == nil || c.cfg.NoKubeletClientCert {
		return "", ""
	}
	return c.pki.kubeletClientCert, c.pki.kubeletClientKey
}

// LogDir is where etcd.log and kube-apiserver.log are written.
func (c *ControlPlane) LogDir() string {
	if c.cfg.LogDir != "" {
		return c.cfg.LogDir
	}
	return c.dir
}

// ReadyDuration is how long the successful Start took.
func (c *ControlPlane) ReadyDuration() time.Duration { return c.readyDuration }

// RESTConfig returns a client configuration for the secure port, verifying
// the CA and authenticating with the admin token.
func (c *ControlPlane) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:            c.SecureURL(),
		BearerToken:     c.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CACert()},
	}
}

// KubeconfigPath is a kubeconfig, written by Start inside the run
// directory, for the insecure endpoint. It is removed by Stop.
func (c *ControlPlane) KubeconfigPath() string {
	if c.dir == "" {
		return ""
	}
	return filepath.Join(c.dir, kubeconfigFileName)
}

// WriteKubeconfig writes to path a kubeconfig whose only cluster is the
// insecure endpoint, with no credentials (the endpoint adds them).
func (c *ControlPlane) WriteKubeconfig(path string) error {
	if c.insecureAddr == "" {
		return errors.New("write kubeconfig: control plane not started")
	}
	const name = "node-test"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: c.InsecureURL()}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate admin token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// firstIP is the apiserver's service IP: the first address of the range.
func firstIP(n *net.IPNet) net.IP {
	ip := make(net.IP, len(n.IP))
	copy(ip, n.IP)
	for i := len(ip) - 1; i >= 0; i-- {
		ip[i]++
		if ip[i] != 0 {
			break
		}
	}
	return ip
}

func waitClosed(ch <-chan struct{}, timeout time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(timeout):
		return false
	}
}

// waitClosedErr waits until ch is closed, discarding any value on it.
func waitClosedErr(ch <-chan error, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func appendCloseErr(errs []error, what string, err error) []error {
	if err == nil || errors.Is(err, net.ErrClosed) {
		return errs
	}
	return append(errs, fmt.Errorf("%s: %w", what, err))
}
