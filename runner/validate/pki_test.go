package validate

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net"
	"sync"
	"testing"
	"time"
)

// certSpec describes a certificate to generate.
type certSpec struct {
	cn       string
	org      []string
	rsa      bool
	usage    x509.KeyUsage
	ext      []x509.ExtKeyUsage
	dns      []string
	ips      []net.IP
	lifetime time.Duration // from now; negative: expired
	// issuerCN names the signing CA; "" is the cluster CA.
	issuerCN string
}

// clientSpec is a valid client certificate of node-a.
func clientSpec() certSpec {
	return certSpec{cn: "system:node:node-a", org: []string{"system:nodes"}, rsa: true,
		usage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ext:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, lifetime: 365 * 24 * time.Hour}
}

// servingSpec is a valid serving certificate of node-a.
func servingSpec() certSpec {
	return certSpec{cn: "node-a", rsa: true, usage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ext: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, dns: []string{"node-a"}, ips: []net.IP{net.ParseIP("10.1.2.3")},
		lifetime: 365 * 24 * time.Hour}
}

// One RSA key serves every certificate: generating them is slow.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// makeCert generates the certificate, signed by a CA of its own named
// s.issuerCN ("kubernetes" when empty), and returns its PEM with its key's
// PEM after it, as kubelet-client-current.pem holds them.
func makeCert(t *testing.T, s certSpec) string {
	t.Helper()
	issuer := s.issuerCN
	if issuer == "" {
		issuer = "kubernetes"
	}
	cert, key := newTestCA(t, issuer).issue(t, s)
	return cert + key
}

// pkiRootfs is a node whose kubelet, node-a, reaches https://127.0.0.1:6443
// with the client certificate /etc/kubernetes/pki/kubelet-client.pem and
// serves with /etc/kubernetes/pki/kubelet-serving.crt.
func pkiRootfs(t *testing.T, client, serving certSpec) *rootfs {
	r := nodeRootfs(t)
	r.write("etc/kubernetes/kubelet.conf", kubeconfig("https://127.0.0.1:6443",
		"    client-certificate: pki/kubelet-client.pem\n    client-key: pki/kubelet-client.pem\n"))
	r.write("etc/kubernetes/pki/kubelet-client.pem", makeCert(t, client))
	r.write("var/lib/kubelet/config.yaml", kubeletConfig("tlsCertFile: ../../../etc/kubernetes/pki/kubelet-serving.crt\n"))
	r.write("etc/kubernetes/pki/kubelet-serving.crt", makeCert(t, serving))
	return r
}

func TestClientCertificate(t *testing.T) {
	for name, tc := range map[string]struct {
		edit    func(s *certSpec)
		verdict Verdict
		want    []string
	}{
		"valid": {
			edit: func(*certSpec) {}, verdict: Pass,
			want: []string{"/etc/kubernetes/pki/kubelet-client.pem: CN system:node:node-a, O system:nodes"},
		},
		"expired": {
			edit: func(s *certSpec) { s.lifetime = -2 * time.Hour }, verdict: Fail,
			want: []string{"it expired on", "renew the kubelet's client certificate"},
		},
		"wrong CN": {
			edit: func(s *certSpec) { s.cn = "system:node:node-b" }, verdict: Fail,
			want: []string{`its CN is "system:node:node-b", not "system:node:node-a"`, "CN system:node:node-a, O system:nodes"},
		},
		"wrong organization": {
			edit: func(s *certSpec) { s.org = []string{"system:masters"} }, verdict: Fail,
			want: []string{`its organization (O) is ["system:masters"], not system:nodes`},
		},
		"no client auth": {
			edit: func(s *certSpec) { s.ext = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }, verdict: Fail,
			want: []string{"it lacks the client auth extended key usage"},
		},
		"RSA without key encipherment": {
			edit: func(s *certSpec) { s.usage = x509.KeyUsageDigitalSignature }, verdict: Fail,
			want: []string{"its key usage lacks key encipherment (required for an RSA key)"},
		},
		"ECDSA with digital signature only": {
			edit:    func(s *certSpec) { s.rsa, s.usage = false, x509.KeyUsageDigitalSignature },
			verdict: Pass,
		},
		"10 days left": {
			edit: func(s *certSpec) { s.lifetime = 10*24*time.Hour + time.Hour }, verdict: Warn,
			want: []string{"it expires in 10 days"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := clientSpec()
			tc.edit(&s)
			expect(t, find(t, pkiRootfs(t, s, servingSpec()).run(), "[pki] client certificate"), tc.verdict, tc.want...)
		})
	}
}

func TestClientCertificateSources(t *testing.T) {
	t.Run("inline data, node name from --hostname-override", func(t *testing.T) {
		r := pkiRootfs(t, clientSpec(), servingSpec())
		s := clientSpec()
		s.cn = "system:node:worker-7"
		r.write("etc/kubernetes/kubelet.conf", kubeconfig("https://localhost:6443",
			"    client-certificate-data: "+base64.StdEncoding.EncodeToString([]byte(makeCert(t, s)))+"\n"))
		r.kubelet("kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--hostname-override=Worker-7")
		expect(t, find(t, r.run(), "[pki] client certificate"), Pass, "client-certificate-data of /etc/kubernetes/kubelet.conf", "system:node:worker-7")
	})
	t.Run("rotated certificate in --cert-dir", func(t *testing.T) {
		r := pkiRootfs(t, clientSpec(), servingSpec())
		r.write("etc/kubernetes/kubelet.conf", kubeconfig("https://127.0.0.1:6443", ""))
		s := clientSpec()
		s.ext = nil
		r.write("var/lib/kubelet/certs/kubelet-client-current.pem", makeCert(t, s))
		r.kubelet("kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--cert-dir=/var/lib/kubelet/certs")
		expect(t, find(t, r.run(), "[pki] client certificate"), Fail, "/var/lib/kubelet/certs/kubelet-client-current.pem", "client auth")
	})
	t.Run("no client certificate on the local :8080 endpoint", func(t *testing.T) {
		r := nodeRootfs(t)
		r.write("var/lib/kubelet/pki/kubelet-client-current.pem", makeCert(t, clientSpec()))
		expect(t, find(t, r.run(), "[pki] client certificate"), NotApplicable,
			"reaches http://localhost:8080 over plain HTTP with no user credentials", "uses no client certificate")
	})
	t.Run("token", func(t *testing.T) {
		r := nodeRootfs(t)
		r.write("etc/kubernetes/kubelet.conf", kubeconfig("https://127.0.0.1:6443", "    token: abc\n"))
		expect(t, find(t, r.run(), "[pki] client certificate"), NotApplicable, "other credentials than a client certificate")
	})
	t.Run("certificate file missing", func(t *testing.T) {
		r := pkiRootfs(t, clientSpec(), servingSpec())
		r.remove("etc/kubernetes/pki/kubelet-client.pem")
		expect(t, find(t, r.run(), "[pki] client certificate"), Fail, "read the client certificate of /etc/kubernetes/kubelet.conf")
	})
}

func TestServingCertificate(t *testing.T) {
	for name, tc := range map[string]struct {
		edit    func(s *certSpec)
		flags   []string
		verdict Verdict
		want    []string
	}{
		"valid": {
			edit: func(*certSpec) {}, flags: []string{"--node-ip=10.1.2.3"}, verdict: Pass,
			want: []string{"/etc/kubernetes/pki/kubelet-serving.crt: SANs node-a,10.1.2.3"},
		},
		"hostname not covered": {
			edit: func(s *certSpec) { s.dns = []string{"node-b"} }, verdict: Fail,
			want: []string{"its SANs do not cover node-a", "SANs cover the node's hostname and IPs"},
		},
		"node IP not covered": {
			edit: func(*certSpec) {}, flags: []string{"--node-ip=10.9.9.9"}, verdict: Fail,
			want: []string{"its SANs do not cover 10.9.9.9"},
		},
		"no server auth": {
			edit: func(s *certSpec) { s.ext = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }, verdict: Fail,
			want: []string{"it lacks the server auth extended key usage"},
		},
		"expired": {
			edit: func(s *certSpec) { s.lifetime = -time.Hour }, verdict: Fail, want: []string{"it expired on"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := servingSpec()
			tc.edit(&s)
			r := pkiRootfs(t, clientSpec(), s)
			r.kubelet(append([]string{"kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf"}, tc.flags...)...)
			expect(t, find(t, r.run(), "[pki] serving certificate"), tc.verdict, tc.want...)
		})
	}
}

func TestServingCertificateGeneratedByTheKubelet(t *testing.T) {
	generated := certSpec{cn: "node-a@1795765388", issuerCN: "node-a-ca@1795765388", rsa: true,
		usage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ext: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		dns: []string{"node-a"}, lifetime: 365 * 24 * time.Hour}
	r := nodeRootfs(t)
	r.write("var/lib/kubelet/pki/kubelet.crt", makeCert(t, generated))
	expect(t, find(t, r.run(), "[pki] serving certificate"), NotApplicable,
		"generated and signed itself, not one of the cluster's PKI", "/var/lib/kubelet/pki/kubelet.crt: SANs node-a")

	generated.lifetime = -time.Hour
	r.write("var/lib/kubelet/pki/kubelet.crt", makeCert(t, generated))
	expect(t, find(t, r.run(), "[pki] serving certificate"), Warn, "self-signed serving certificate it expired on", "delete it and restart the kubelet")

	// A certificate placed there by hand, issued by the cluster CA, is judged.
	r.write("var/lib/kubelet/pki/kubelet.crt", makeCert(t, servingSpec()))
	expect(t, find(t, r.run(), "[pki] serving certificate"), Pass, "/var/lib/kubelet/pki/kubelet.crt: SANs node-a,10.1.2.3")

	r.remove("var/lib/kubelet/pki/kubelet.crt")
	expect(t, find(t, r.run(), "[pki] serving certificate"), Fail, "read the kubelet's serving certificate")
}
