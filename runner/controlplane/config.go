package controlplane

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Defaults applied by NewConfig and, for fields left at their zero value, by New.
const (
	// DefaultInsecureAddress is where the kubelet of a node-test run finds the API.
	DefaultInsecureAddress = "127.0.0.1:8080"
	// DefaultSecurePort is the port upstream's e2e_node kubelet expects
	// (https://127.0.0.1:6443). Set Config.SecurePort to 0 for a kernel-chosen port.
	DefaultSecurePort = 6443
	// DefaultServiceClusterIPRange is the service CIDR handed to the apiserver.
	DefaultServiceClusterIPRange = "10.0.0.0/24"
	// DefaultStartTimeout bounds Start when the caller's context has no deadline.
	DefaultStartTimeout = 2 * time.Minute
	// DefaultStopTimeout bounds the wait for each component in Stop.
	DefaultStopTimeout = 30 * time.Second
)

// ErrNotLoopback is returned by Config.Validate when InsecureAddress is not a
// loopback address and AllowNonLoopback is not set.
var ErrNotLoopback = errors.New("insecure address is not a loopback address")

// Config describes one control plane. The zero value is usable: New fills
// empty fields with the defaults above, except SecurePort, where 0 means a
// kernel-chosen port.
type Config struct {
	// InsecureAddress is the host:port of the plain-HTTP endpoint, which
	// forwards every request to the apiserver as a cluster admin. Port 0 picks a
	// free port; InsecureURL reports the one chosen. Empty means
	// DefaultInsecureAddress.
	InsecureAddress string
	// AllowNonLoopback lets InsecureAddress name a non-loopback host.
	// Anyone who can reach that address becomes cluster admin.
	AllowNonLoopback bool

	// SecurePort is the apiserver's TLS port on 127.0.0.1. 0 picks a free
	// port; SecureURL reports the one chosen. NewConfig sets DefaultSecurePort.
	SecurePort int
	// BearerToken, if set, is accepted by the apiserver as a member of
	// system:masters besides the per-run admin token, so a kubelet configured
	// upstream's way (https://127.0.0.1:6443, insecure TLS, token T) works.
	BearerToken string

	// RBAC makes the apiserver authorize requests with RBAC instead of
	// allowing every authenticated one: a cluster in which node-test
	// cluster's service account holds only what its ClusterRole grants.
	// The kubelet's token and the admin token stay in system:masters.
	RBAC bool

	// KubeletClientCert and KubeletClientKey (PEM), if set, are what the
	// apiserver presents to kubelets instead of its per-run certificate: a
	// certificate of the CA a kubelet trusts for its clients (its
	// authentication.x509.clientCAFile), which the per-run CA is not.
	// KubeletClientKey may be empty when KubeletClientCert holds the key too.
	KubeletClientCert, KubeletClientKey []byte
	// NoKubeletClientCert makes the apiserver present no certificate to
	// kubelets. A kubelet that lets anonymous requests in but has a client
	// CA refuses a certificate that CA did not sign, where it serves the
	// same request made without one.
	NoKubeletClientCert bool

	// ServiceClusterIPRange is the service CIDR. Empty means
	// DefaultServiceClusterIPRange.
	ServiceClusterIPRange string

	// TempDir is the parent of the private run directory (certificates,
	// tokens, etcd data, kubeconfig). Empty means os.TempDir().
	TempDir string
	// DataDir, if set, holds etcd's data across runs (created 0700 when
	// missing). A kubelet registers its Node once and afterwards only
	// updates it, comparing against its cached copy: a control plane that
	// starts with an empty store leaves that kubelet's Node missing or stuck
	// NotReady. Keeping the store lets the same kubelet serve run after run.
	// Empty means a throw-away store in the run directory.
	DataDir string
	// LogDir, if set, receives etcd.log and kube-apiserver.log, which then
	// survive Stop. Otherwise the logs live in the run directory and are
	// removed with it.
	LogDir string

	// StartTimeout bounds Start. 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// StopTimeout bounds the wait for each component in Stop. 0 means
	// DefaultStopTimeout.
	StopTimeout time.Duration

	// Logger receives the control plane's own progress messages. nil discards
	// them. The components' logs go to LogDir, not here.
	Logger *slog.Logger
}

// NewConfig returns a Config with every default filled in.
func NewConfig() Config {
	return Config{
		InsecureAddress:       DefaultInsecureAddress,
		SecurePort:            DefaultSecurePort,
		ServiceClusterIPRange: DefaultServiceClusterIPRange,
		StartTimeout:          DefaultStartTimeout,
		StopTimeout:           DefaultStopTimeout,
	}
}

// complete returns a copy of c with zero fields set to their defaults.
func (c Config) complete() Config {
	if c.InsecureAddress == "" {
		c.InsecureAddress = DefaultInsecureAddress
	}
	if c.ServiceClusterIPRange == "" {
		c.ServiceClusterIPRange = DefaultServiceClusterIPRange
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first problem in c. Empty fields that New would
// default are accepted.
func (c Config) Validate() error {
	c = c.complete()
	if _, err := insecureListenAddress(c.InsecureAddress, c.AllowNonLoopback); err != nil {
		return err
	}
	if c.SecurePort < 0 || c.SecurePort > 65535 {
		return fmt.Errorf("validate secure port: %d is out of range 0-65535", c.SecurePort)
	}
	if err := validateToken(c.BearerToken); err != nil {
		return fmt.Errorf("validate bearer token: %w", err)
	}
	if err := validateKubeletClient(c); err != nil {
		return fmt.Errorf("validate kubelet client certificate: %w", err)
	}
	if _, _, err := net.ParseCIDR(c.ServiceClusterIPRange); err != nil {
		return fmt.Errorf("validate service cluster IP range: %w", err)
	}
	if c.StartTimeout < 0 || c.StopTimeout < 0 {
		return errors.New("validate timeouts: must not be negative")
	}
	return nil
}

// insecureListenAddress checks addr and returns the address to listen on
// ("localhost" becomes 127.0.0.1, so the listener is exactly one socket).
func insecureListenAddress(addr string, allowNonLoopback bool) (string, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("parse insecure address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", fmt.Errorf("parse insecure address %q: invalid port %q", addr, portStr)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	switch {
	case ip != nil && ip.IsLoopback():
	case allowNonLoopback && (ip != nil || host == ""):
	case allowNonLoopback:
		return "", fmt.Errorf("parse insecure address %q: host must be an IP address or localhost", addr)
	default:
		return "", fmt.Errorf("check insecure address %q: %w: it serves the cluster as admin without authentication; use 127.0.0.1 or ::1, or set AllowNonLoopback", addr, ErrNotLoopback)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// validateToken accepts what the apiserver's token file can carry unquoted.
func validateToken(tok string) error {
	for _, r := range tok {
		if r <= ' ' || r > '~' || r == ',' || r == '"' {
			return fmt.Errorf("invalid character %q: use printable ASCII without spaces, commas or quotes", r)
		}
	}
	return nil
}

// validateKubeletClient checks the kubelet client certificate and key, if
// given, form a pair.
func validateKubeletClient(c Config) error {
	switch {
	case len(c.KubeletClientCert) == 0 && len(c.KubeletClientKey) > 0:
		return errors.New("a key without its certificate")
	case len(c.KubeletClientCert) == 0:
		return nil
	case c.NoKubeletClientCert:
		return errors.New("a certificate given with NoKubeletClientCert")
	}
	if _, err := tls.X509KeyPair(c.KubeletClientCert, kubeletClientKey(c)); err != nil {
		return err
	}
	return nil
}

// kubeletClientKey is the PEM of the given kubelet client certificate's key.
func kubeletClientKey(c Config) []byte {
	if len(c.KubeletClientKey) > 0 {
		return c.KubeletClientKey
	}
	return c.KubeletClientCert
}
