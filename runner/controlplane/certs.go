package controlplane

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Names of the files written into the certificate directory.
const (
	caCertFile            = "ca.crt"
	caKeyFile             = "ca.key"
	servingCertFile       = "apiserver.crt"
	servingKeyFile        = "apiserver.key"
	kubeletClientCertFile = "apiserver-kubelet-client.crt"
	kubeletClientKeyFile  = "apiserver-kubelet-client.key"
	serviceAccountKeyFile = "sa.key"
	serviceAccountPubFile = "sa.pub"
)

// certValidity is how long the per-run certificates are valid. A run lasts
// hours; a year leaves room for clock skew and debugging sessions.
const certValidity = 365 * 24 * time.Hour

// pki holds the paths of the per-run credentials.
type pki struct {
	dir                                  string
	caCert                               *x509.Certificate
	caFile                               string
	servingCertFile, servingKeyFile      string
	kubeletClientCert, kubeletClientKey  string
	serviceAccountKey, serviceAccountPub string
}

// generatePKI writes a CA, a serving certificate for 127.0.0.1/localhost and
// the in-cluster service names, an apiserver→kubelet client certificate and a
// service-account key pair into dir.
func generatePKI(dir string, serviceIP net.IP) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create certificate directory: %w", err)
	}
	p := &pki{
		dir:               dir,
		caFile:            filepath.Join(dir, caCertFile),
		servingCertFile:   filepath.Join(dir, servingCertFile),
		servingKeyFile:    filepath.Join(dir, servingKeyFile),
		kubeletClientCert: filepath.Join(dir, kubeletClientCertFile),
		kubeletClientKey:  filepath.Join(dir, kubeletClientKeyFile),
		serviceAccountKey: filepath.Join(dir, serviceAccountKeyFile),
		serviceAccountPub: filepath.Join(dir, serviceAccountPubFile),
	}

	caKey, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "node-test-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	p.caCert, err = createCert(caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	if err := writeCertAndKey(p.caFile, filepath.Join(dir, caKeyFile), p.caCert, caKey); err != nil {
		return nil, err
	}

	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if serviceIP != nil {
		ips = append(ips, serviceIP)
	}
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
		IPAddresses: ips,
	}
	if err := issue(serving, p.caCert, caKey, p.servingCertFile, p.servingKeyFile); err != nil {
		return nil, fmt.Errorf("create serving certificate: %w", err)
	}

	kubeletClient := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := issue(kubeletClient, p.caCert, caKey, p.kubeletClientCert, p.kubeletClientKey); err != nil {
		return nil, fmt.Errorf("create kubelet client certificate: %w", err)
	}

	saKey, err := newKey()
	if err != nil {
		return nil, err
	}
	if err := writeKey(p.serviceAccountKey, saKey); err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("marshal service-account public key: %w", err)
	}
	if err := writePEM(p.serviceAccountPub, "PUBLIC KEY", pub, 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// issue creates a key, signs tmpl with the CA and writes both files.
func issue(tmpl, ca *x509.Certificate, caKey crypto.Signer, certFile, keyFile string) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	cert, err := createCert(tmpl, ca, key.Public(), caKey)
	if err != nil {
		return err
	}
	return writeCertAndKey(certFile, keyFile, cert, key)
}

func createCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	tmpl.SerialNumber = new(big.Int).Add(serial, big.NewInt(1))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

func writeCertAndKey(certFile, keyFile string, cert *x509.Certificate, key *ecdsa.PrivateKey) error {
	if err := writePEM(certFile, "CERTIFICATE", cert.Raw, 0o644); err != nil {
		return err
	}
	return writeKey(keyFile, key)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEM(path, blockType string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := writeFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// writeFile writes data to path with exactly mode, whatever mode a file
// already there had: a key written over a certificate of 0644 is 0600.
func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
