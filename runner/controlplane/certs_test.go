package controlplane

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGeneratePKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := generatePKI(dir, net.ParseIP("10.0.0.1"))
	if err != nil {
		t.Fatalf("generatePKI() = %v", err)
	}
	if mode := fileMode(t, dir); mode != 0o700 {
		t.Errorf("certificate directory mode = %v, want 0700", mode)
	}

	ca := parseCert(t, p.caFile)
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA=%v KeyUsage=%v, want a CA that can sign certificates", ca.IsCA, ca.KeyUsage)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	serving := parseCert(t, p.servingCertFile)
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "10.0.0.1", "kubernetes.default.svc"} {
		if _, err := serving.Verify(x509.VerifyOptions{
			DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			t.Errorf("serving certificate does not verify for %s: %v", name, err)
		}
	}
	if _, err := serving.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots}); err == nil {
		t.Error("serving certificate verifies for example.com")
	}
	if serving.IsCA || serving.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		t.Errorf("serving certificate: IsCA=%v KeyUsage=%v", serving.IsCA, serving.KeyUsage)
	}
	if !slices.Equal(serving.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("serving certificate ExtKeyUsage = %v, want server auth only", serving.ExtKeyUsage)
	}

	client := parseCert(t, p.kubeletClientCert)
	if _, err := client.Verify(x509.VerifyOptions{
		Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Errorf("kubelet client certificate does not verify as a client: %v", err)
	}
	if _, err := client.Verify(x509.VerifyOptions{
		Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err == nil {
		t.Error("kubelet client certificate verifies as a server certificate")
	}
	if !slices.Contains(client.Subject.Organization, "system:masters") {
		t.Errorf("kubelet client certificate organizations = %v", client.Subject.Organization)
	}

	for _, pair := range [][2]string{
		{p.servingCertFile, p.servingKeyFile},
		{p.kubeletClientCert, p.kubeletClientKey},
		{p.caFile, filepath.Join(dir, caKeyFile)},
	} {
		if _, err := tls.LoadX509KeyPair(pair[0], pair[1]); err != nil {
			t.Errorf("load key pair %s: %v", filepath.Base(pair[0]), err)
		}
		if mode := fileMode(t, pair[1]); mode != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(pair[1]), mode)
		}
	}

	saKey, err := x509.ParseECPrivateKey(pemBytes(t, p.serviceAccountKey, "EC PRIVATE KEY"))
	if err != nil {
		t.Fatalf("parse service-account key: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(pemBytes(t, p.serviceAccountPub, "PUBLIC KEY"))
	if err != nil {
		t.Fatalf("parse service-account public key: %v", err)
	}
	if !saKey.PublicKey.Equal(pub.(*ecdsa.PublicKey)) {
		t.Error("service-account public key does not match the private key")
	}
}

func TestGeneratePKIIsFreshEachRun(t *testing.T) {
	a, err := generatePKI(filepath.Join(t.TempDir(), "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generatePKI(filepath.Join(t.TempDir(), "b"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.caCert.Equal(b.caCert) {
		t.Error("two runs produced the same CA")
	}
}

func TestFirstIP(t *testing.T) {
	for cidr, want := range map[string]string{
		"10.0.0.0/24":  "10.0.0.1",
		"10.0.0.0/16":  "10.0.0.1",
		"fd00::/108":   "fd00::1",
		"10.0.0.255/8": "10.0.0.1",
	} {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if got := firstIP(n); !got.Equal(net.ParseIP(want)) {
			t.Errorf("firstIP(%s) = %v, want %s", cidr, got, want)
		}
	}
}

func parseCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(pemBytes(t, path, "CERTIFICATE"))
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return c
}

func pemBytes(t *testing.T, path, blockType string) []byte {
	t.Helper()
	block, _ := pem.Decode([]byte(readFile(t, path)))
	if block == nil || block.Type != blockType {
		t.Fatalf("%s: no %s PEM block", path, blockType)
	}
	return block.Bytes
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestWriteFileMakesAKeyPrivateOverAnExistingFile writes a certificate and
// key PEM over a certificate of mode 0644, as the control plane writes a
// given kubelet client certificate over its own: the file is 0600 after.
func TestWriteFileMakesAKeyPrivateOverAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubelet-client.crt")
	if err := os.WriteFile(path, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(path, []byte("-----BEGIN CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after writing a key over a 0644 file, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "PRIVATE KEY") {
		t.Errorf("content not written: %q", b)
	}
}
