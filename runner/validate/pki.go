package validate

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"path"
	"slices"
	"strings"
	"time"
)

// Requirements of the kubelet's certificates, from the Kubernetes "PKI
// certificates and requirements" page
// (https://kubernetes.io/docs/setup/best-practices/certificates/).
const (
	nodeOrganization = "system:nodes"
	nodeCNPrefix     = "system:node:"
	// expiryWarning is how close to expiry a certificate draws a warning.
	expiryWarning = 30 * 24 * time.Hour
)

// pkiChecks judges the kubelet's client and serving certificates at time
// now.
func pkiChecks(n *node, now time.Time) []Check {
	if n.kubelet == nil {
		return []Check{
			{Area: AreaPKI, Name: "client certificate", Verdict: NotApplicable, Message: "no kubelet process found"},
			{Area: AreaPKI, Name: "serving certificate", Verdict: NotApplicable, Message: "no kubelet process found"},
		}
	}
	return []Check{checkClientCert(n, now), checkServingCert(n, now)}
}

// certSource is a certificate's PEM and where it came from.
type certSource struct {
	pem    []byte
	where  string
	reason string // why there is no certificate, when pem is nil
}

// clientCert finds the certificate the kubelet authenticates to the API
// server with: the kubeconfig user's, else, for a TLS server and a user
// without other credentials, the rotated certificate in --cert-dir.
func clientCert(n *node) (certSource, error) {
	k := n.kubelet
	switch {
	case k.kubeconfigPath == "":
		return certSource{reason: "the kubelet runs without --kubeconfig: it talks to no API server"}, nil
	case k.kubeconfigErr != nil:
		return certSource{}, k.kubeconfigErr
	}
	cluster, user, err := kubeconfigTarget(k.kubeconfig)
	if err != nil {
		return certSource{}, fmt.Errorf("kubeconfig %s: %w", k.kubeconfigPath, err)
	}
	switch {
	case len(user.ClientCertificateData) > 0:
		return certSource{pem: user.ClientCertificateData, where: "client-certificate-data of " + k.kubeconfigPath}, nil
	case user.ClientCertificate != "":
		p := relativeTo(k.kubeconfigPath, user.ClientCertificate)
		b, err := n.h.ReadFile(p)
		if err != nil {
			return certSource{}, fmt.Errorf("read the client certificate of %s: %w", k.kubeconfigPath, err)
		}
		return certSource{pem: b, where: p}, nil
	case strings.HasPrefix(cluster.Server, "http://"):
		return certSource{reason: fmt.Sprintf("the kubelet reaches %s over plain HTTP with no user credentials (kubeconfig %s): it uses no client certificate",
			cluster.Server, k.kubeconfigPath)}, nil
	case user.Token != "" || user.TokenFile != "" || user.Exec != nil || user.AuthProvider != nil || user.Username != "":
		return certSource{reason: fmt.Sprintf("the kubelet authenticates to %s with other credentials than a client certificate (kubeconfig %s)",
			cluster.Server, k.kubeconfigPath)}, nil
	}
	p := path.Join(certDir(k), "kubelet-client-current.pem")
	if b, err := n.h.ReadFile(p); err == nil {
		return certSource{pem: b, where: p}, nil
	}
	return certSource{reason: fmt.Sprintf("the kubeconfig %s gives no client certificate and %s does not exist", k.kubeconfigPath, p)}, nil
}

func certDir(k *kubelet) string {
	if d := k.flags["cert-dir"]; d != "" {
		return d
	}
	return defaultCertDir
}

// checkClientCert requires the kubelet's client certificate to identify
// the node (CN system:node:<nodeName>, O system:nodes) for client auth.
func checkClientCert(n *node, now time.Time) Check {
	src, err := clientCert(n)
	if err != nil {
		return Check{Area: AreaPKI, Name: "client certificate", Verdict: Fail, Message: err.Error(),
			Fix: "make the kubelet's kubeconfig and its client certificate readable and valid"}
	}
	if src.pem == nil {
		return Check{Area: AreaPKI, Name: "client certificate", Verdict: NotApplicable, Message: src.reason}
	}
	name := n.nodeName()
	fix := fmt.Sprintf("issue the kubelet a client certificate with CN %s%s, O %s, key usage digital signature and key encipherment, extended key usage client auth (kubeadm and TLS bootstrapping do)",
		nodeCNPrefix, name, nodeOrganization)
	var f findings
	cert, err := parseCert(src.pem)
	if err != nil {
		f.add(Fail, fmt.Sprintf("%s: %v", src.where, err), fix)
		return f.check(AreaPKI, "client certificate")
	}
	f.add(Pass, fmt.Sprintf("%s: CN %s, O %s, expires %s", src.where, cert.Subject.CommonName,
		strings.Join(cert.Subject.Organization, ","), cert.NotAfter.UTC().Format(time.DateOnly)), "")
	if want := nodeCNPrefix + name; cert.Subject.CommonName != want {
		f.add(Fail, fmt.Sprintf("its CN is %q, not %q", cert.Subject.CommonName, want), fix)
	}
	if !slices.Contains(cert.Subject.Organization, nodeOrganization) {
		f.add(Fail, fmt.Sprintf("its organization (O) is %q, not %s", cert.Subject.Organization, nodeOrganization), fix)
	}
	checkKeyUsage(&f, cert, fix)
	if !hasExtKeyUsage(cert, x509.ExtKeyUsageClientAuth) {
		f.add(Fail, "it lacks the client auth extended key usage", fix)
	}
	checkValidity(&f, cert, now, "renew the kubelet's client certificate (kubelet rotateCertificates: true, or kubeadm certs renew)")
	return f.check(AreaPKI, "client certificate")
}

// servingCert finds the kubelet's serving certificate: --tls-cert-file,
// tlsCertFile in its config, the rotated certificate when it bootstraps one
// (serverTLSBootstrap), else <cert-dir>/kubelet.crt (then defaultFile is
// true), which it generates at start when missing.
func servingCert(n *node) (file string, defaultFile bool) {
	k := n.kubelet
	switch {
	case k.flags["tls-cert-file"] != "":
		return k.flags["tls-cert-file"], false
	case k.config != nil && k.config.TLSCertFile != "":
		return relativeTo(k.configPath, k.config.TLSCertFile), false
	case k.config != nil && k.config.ServerTLSBootstrap:
		return path.Join(certDir(k), "kubelet-server-current.pem"), false
	}
	return path.Join(certDir(k), "kubelet.crt"), true
}

// checkServingCert requires the kubelet's serving certificate to be for
// server auth and to cover the node's hostname and IPs. A certificate the
// kubelet generated and signed itself is not part of the cluster's PKI,
// whose requirements then do not apply: it is described, and only its
// expiry can draw a warning.
func checkServingCert(n *node, now time.Time) Check {
	const name = "serving certificate"
	p, defaultFile := servingCert(n)
	fix := "issue the kubelet a serving certificate for server auth whose SANs cover the node's hostname and IPs (serverTLSBootstrap: true, or tlsCertFile)"
	var f findings
	b, err := n.h.ReadFile(p)
	if err != nil {
		f.add(Fail, fmt.Sprintf("read the kubelet's serving certificate: %v", err), fix)
		return f.check(AreaPKI, name)
	}
	cert, err := parseCert(b)
	if err != nil {
		f.add(Fail, fmt.Sprintf("%s: %v", p, err), fix)
		return f.check(AreaPKI, name)
	}
	sans := slices.Clone(cert.DNSNames)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	desc := fmt.Sprintf("%s: SANs %s, expires %s", p, strings.Join(sans, ","), cert.NotAfter.UTC().Format(time.DateOnly))
	// The kubelet signs the certificate it generates with a CA of its own,
	// named <hostname>-ca@<time>.
	if defaultFile && (cert.Issuer.String() == cert.Subject.String() || strings.Contains(cert.Issuer.CommonName, "-ca@")) {
		var v findings
		checkValidity(&v, cert, now, "")
		if v.verdict == "" {
			return Check{Area: AreaPKI, Name: name, Verdict: NotApplicable,
				Message: "the kubelet serves with a certificate it generated and signed itself, not one of the cluster's PKI (" + desc + ")"}
		}
		return Check{Area: AreaPKI, Name: name, Verdict: Warn,
			Message: "the kubelet's self-signed serving certificate " + strings.Join(v.notes, "; ") + " (" + desc + "); the kubelet does not renew it: delete it and restart the kubelet"}
	}
	f.add(Pass, desc, "")
	checkKeyUsage(&f, cert, fix)
	if !hasExtKeyUsage(cert, x509.ExtKeyUsageServerAuth) {
		f.add(Fail, "it lacks the server auth extended key usage", fix)
	}
	for _, a := range nodeAddresses(n) {
		if err := cert.VerifyHostname(a); err != nil {
			f.add(Fail, fmt.Sprintf("its SANs do not cover %s", a), fix)
		}
	}
	checkValidity(&f, cert, now, "renew the kubelet's serving certificate")
	return f.check(AreaPKI, name)
}

// nodeAddresses are the names and IPs the node is reached by: its node name
// and hostname, and the IPs the kubelet is told (--node-ip) or binds to
// (address in its config, unless it binds to every address).
func nodeAddresses(n *node) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(n.nodeName())
	add(n.hostname)
	k := n.kubelet
	for ip := range strings.SplitSeq(k.flags["node-ip"], ",") {
		add(ip)
	}
	if k.config != nil {
		if ip := net.ParseIP(k.config.Address); ip != nil && !ip.IsUnspecified() {
			add(k.config.Address)
		}
	}
	return out
}

func parseCert(b []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("no PEM certificate in it")
		}
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse the certificate: %w", err)
			}
			return cert, nil
		}
	}
}

// checkKeyUsage requires digital signature and, for RSA keys, key
// encipherment. An ECDSA (or Ed25519) key cannot encipher: it only signs
// in the TLS handshake, so digital signature is enough for it.
func checkKeyUsage(f *findings, cert *x509.Certificate, fix string) {
	if cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		f.add(Fail, "its key usage lacks digital signature", fix)
	}
	if _, isRSA := cert.PublicKey.(*rsa.PublicKey); isRSA && cert.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
		f.add(Fail, "its key usage lacks key encipherment (required for an RSA key)", fix)
	}
}

func hasExtKeyUsage(cert *x509.Certificate, want x509.ExtKeyUsage) bool {
	return slices.Contains(cert.ExtKeyUsage, want) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// checkValidity fails an expired or not yet valid certificate and warns
// when less than 30 days are left.
func checkValidity(f *findings, cert *x509.Certificate, now time.Time, fix string) {
	switch left := cert.NotAfter.Sub(now); {
	case left <= 0:
		f.add(Fail, fmt.Sprintf("it expired on %s", cert.NotAfter.UTC().Format(time.RFC3339)), fix)
	case now.Before(cert.NotBefore):
		f.add(Fail, fmt.Sprintf("it is not valid before %s", cert.NotBefore.UTC().Format(time.RFC3339)), "fix the host's clock or reissue the certificate")
	case left < expiryWarning:
		f.add(Warn, fmt.Sprintf("it expires in %d days (%s)", int(left.Hours()/24), cert.NotAfter.UTC().Format(time.RFC3339)), "")
	}
}
