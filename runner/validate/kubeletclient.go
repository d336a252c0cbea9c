package validate

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/node-test/node-test/runner/host"
)

// Where a node keeps a client certificate its kubelet trusts: kubeadm's
// certificate for the API server's requests to kubelets, on a control-plane
// node, and the kubelet's own client certificate from TLS bootstrapping,
// in its --cert-dir, on every node that joined a cluster.
const (
	apiserverKubeletClientCert = "/etc/kubernetes/pki/apiserver-kubelet-client.crt"
	apiserverKubeletClientKey  = "/etc/kubernetes/pki/apiserver-kubelet-client.key"
	kubeletClientCurrent       = "kubelet-client-current.pem"
)

// KubeletClient is what the local control plane's API server presents to
// the kubelet when it forwards requests to the kubelet's API (pod logs,
// exec, attach, port forwarding, /metrics, /configz, /stats). The zero
// value is the control plane's own per-run certificate.
type KubeletClient struct {
	// CertPEM and KeyPEM, when set, are a certificate the kubelet's client
	// CA signed and its key; Source says where they were found.
	CertPEM, KeyPEM []byte
	Source          string
	// None means presenting no certificate: the kubelet lets anonymous
	// requests in, but would refuse one its client CA did not sign.
	None bool
}

// kubeletAuthn is how the kubelet authenticates the requests to its API.
type kubeletAuthn struct {
	anonymous bool
	// clientCAFile is the CA whose client certificates it accepts, "" if
	// none; where says which setting names it.
	clientCAFile, where string
}

// authnOf reads the kubelet's authentication from its flags, else its
// config file, else the defaults of each: without a config file the
// kubelet's flags let anonymous requests in; a config file's v1beta1
// defaults do not.
func authnOf(k *kubelet) kubeletAuthn {
	var a kubeletAuthn
	if k.config != nil {
		a.anonymous = k.config.Authentication.Anonymous.Enabled != nil && *k.config.Authentication.Anonymous.Enabled
		if f := k.config.Authentication.X509.ClientCAFile; f != "" {
			a.clientCAFile, a.where = relativeTo(k.configPath, f), "authentication.x509.clientCAFile of "+k.configPath
		}
	} else {
		a.anonymous = true
	}
	if v, ok := k.flags["anonymous-auth"]; ok {
		a.anonymous = v == "true"
	}
	if f := k.flags["client-ca-file"]; f != "" {
		a.clientCAFile, a.where = f, "--client-ca-file"
	}
	return a
}

// ChooseKubeletClient says what the local control plane must present to the
// node's kubelet for the kubelet to serve it. certFile and keyFile (host
// paths, keyFile "" for a file holding both) are the user's choice; without
// one, it is a certificate found on the node that the kubelet's client CA
// signed, else none when the kubelet lets anonymous requests in, else the
// per-run certificate. The check says what was chosen, or, failed, why the
// kubelet will refuse the control plane and what to change. err is set only
// for the user's files when they cannot serve: bad input.
func ChooseKubeletClient(h *host.Host, certFile, keyFile string, now time.Time) (KubeletClient, Check, error) {
	const name = "control plane access to the kubelet"
	check := func(v Verdict, msg, fix string) Check {
		return Check{Area: AreaKubelet, Name: name, Verdict: v, Message: msg, Fix: fix}
	}
	n := inspect(h)
	var a kubeletAuthn
	if n.kubelet != nil {
		a = authnOf(n.kubelet)
	}
	var pool *x509.CertPool
	var poolErr error
	if a.clientCAFile != "" {
		pool, poolErr = readCAPool(h, a.clientCAFile)
	}

	if certFile != "" {
		kc, pair, err := readClientPair(h, certFile, keyFile)
		if err == nil && pool != nil {
			err = verifyClient(pair, pool, now)
			if err != nil {
				err = fmt.Errorf("%w: the kubelet's client CA %s (%s) did not sign it", err, a.clientCAFile, a.where)
			}
		}
		if err != nil {
			err = fmt.Errorf("--kubelet-client-cert %s: %w: give a certificate and key the kubelet's client CA signed", certFile, err)
			return KubeletClient{}, check(Fail, err.Error(), "give --kubelet-client-cert and --kubelet-client-key a client certificate the kubelet trusts"), err
		}
		return kc, check(Pass, "the control plane presents "+describe(certFile, pair)+", as given", ""), nil
	}

	switch {
	case n.kubelet == nil:
		return KubeletClient{}, check(NotApplicable, "no kubelet process found: the control plane presents its own per-run certificate", ""), nil
	case n.kubelet.configErr != nil:
		return KubeletClient{}, check(Warn, "the kubelet's authentication is unknown ("+n.kubelet.configErr.Error()+"): the control plane presents its own per-run certificate", ""), nil
	case a.clientCAFile == "" && a.anonymous:
		return KubeletClient{}, check(Pass, "the kubelet lets anonymous requests in and trusts no client CA", ""), nil
	case a.clientCAFile == "":
		return KubeletClient{}, check(Fail,
			"the kubelet refuses anonymous requests and trusts no client CA: the API server can present it nothing it accepts",
			"set authentication.anonymous.enabled: true in the kubelet's config, or authentication.x509.clientCAFile to the CA of a client certificate given to node-test with --kubelet-client-cert and --kubelet-client-key"), nil
	case poolErr != nil && a.anonymous:
		return KubeletClient{None: true}, check(Warn, fmt.Sprintf("the kubelet's client CA (%s) cannot be read: %v; it lets anonymous requests in, so the control plane presents no certificate", a.where, poolErr), ""), nil
	case poolErr != nil:
		return KubeletClient{}, check(Fail, fmt.Sprintf("the kubelet refuses anonymous requests and its client CA (%s) cannot be read: %v", a.where, poolErr),
			"make the kubelet's client CA readable, or give node-test a client certificate it signed with --kubelet-client-cert and --kubelet-client-key"), nil
	}

	var tried []string
	for _, c := range []struct{ cert, key string }{
		{apiserverKubeletClientCert, apiserverKubeletClientKey},
		{path.Join(certDir(n.kubelet), kubeletClientCurrent), ""},
	} {
		kc, pair, err := readClientPair(h, c.cert, c.key)
		if err == nil {
			err = verifyClient(pair, pool, now)
		}
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", c.cert, err))
			continue
		}
		return kc, check(Pass, fmt.Sprintf("the kubelet trusts the client CA %s (%s); the control plane presents %s, which it signed", a.clientCAFile, a.where, describe(c.cert, pair)), ""), nil
	}
	if a.anonymous {
		return KubeletClient{None: true}, check(Pass, fmt.Sprintf("the kubelet lets anonymous requests in; no certificate its client CA %s signed was found (%s), so the control plane presents none",
			a.clientCAFile, strings.Join(tried, "; ")), ""), nil
	}
	return KubeletClient{}, check(Fail,
		fmt.Sprintf("the kubelet refuses anonymous requests and accepts only client certificates its client CA %s (%s) signed, and none was found: %s",
			a.clientCAFile, a.where, strings.Join(tried, "; ")),
		"give node-test a client certificate and key that CA signed with --kubelet-client-cert and --kubelet-client-key (KUBELET_CLIENT_CERT, KUBELET_CLIENT_KEY), or set authentication.anonymous.enabled: true in the kubelet's config"), nil
}

// readCAPool reads the host's PEM CA bundle p.
func readCAPool(h *host.Host, p string) (*x509.CertPool, error) {
	b, err := h.ReadFile(p)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", p)
	}
	return pool, nil
}

// readClientPair reads a certificate and its key from the host's files
// (keyFile "" or the same file for a PEM holding both) and checks they
// match.
func readClientPair(h *host.Host, certFile, keyFile string) (KubeletClient, tls.Certificate, error) {
	certPEM, err := h.ReadFile(certFile)
	if errors.Is(err, fs.ErrNotExist) {
		return KubeletClient{}, tls.Certificate{}, errors.New("no such file")
	}
	if err != nil {
		return KubeletClient{}, tls.Certificate{}, err
	}
	keyPEM := certPEM
	if keyFile != "" && keyFile != certFile {
		if keyPEM, err = h.ReadFile(keyFile); err != nil {
			return KubeletClient{}, tls.Certificate{}, fmt.Errorf("read its key: %w", err)
		}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return KubeletClient{}, tls.Certificate{}, fmt.Errorf("not a certificate and key pair: %w", err)
	}
	return KubeletClient{CertPEM: certPEM, KeyPEM: keyPEM, Source: certFile}, pair, nil
}

// describe names a certificate for the check's message.
func describe(file string, pair tls.Certificate) string {
	return fmt.Sprintf("%s (CN %s, expires %s)", file, pair.Leaf.Subject.CommonName, pair.Leaf.NotAfter.UTC().Format(time.DateOnly))
}

// verifyClient checks that pair's certificate is valid at now for client
// auth under the CAs of pool, with the intermediates that follow it, as the
// kubelet verifies the certificate a client presents.
func verifyClient(pair tls.Certificate, pool *x509.CertPool, now time.Time) error {
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("parse its chain: %w", err)
		}
		inter.AddCert(c)
	}
	_, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err
}
