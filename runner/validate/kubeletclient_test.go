package validate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA signs the certificates of the tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newTestCA(t *testing.T, cn string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(10 * 365 * day)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue returns the PEM of the certificate s describes (s.issuerCN aside),
// signed by ca, and the PEM of its key.
func (ca testCA) issue(t *testing.T, s certSpec) (certPEM, keyPEM string) {
	t.Helper()
	var key crypto.Signer = rsaKey()
	if !s.rsa {
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = ecKey
	}
	now := time.Now()
	notBefore := now.Add(-time.Hour)
	if s.lifetime < 0 {
		notBefore = now.Add(s.lifetime - 24*time.Hour)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: s.cn, Organization: s.org},
		KeyUsage: s.usage, ExtKeyUsage: s.ext, DNSNames: s.dns, IPAddresses: s.ips,
		NotBefore: notBefore, NotAfter: now.Add(s.lifetime)}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// clientOf is a client certificate for cn (of system:masters) with usage
// ext, valid for lifetime from now (negative: expired), signed by ca.
func (ca testCA) clientOf(t *testing.T, cn string, ext x509.ExtKeyUsage, lifetime time.Duration) (certPEM, keyPEM string) {
	t.Helper()
	return ca.issue(t, certSpec{cn: cn, org: []string{"system:masters"}, usage: x509.KeyUsageDigitalSignature,
		ext: []x509.ExtKeyUsage{ext}, lifetime: lifetime})
}

// secured is the kubeadm arrangement of the kubelet's API: no anonymous
// requests, client certificates of the cluster CA, webhook authorization.
const secured = "authentication:\n  anonymous:\n    enabled: false\n  webhook:\n    enabled: true\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nauthorization:\n  mode: Webhook\n"

const day = 24 * time.Hour

func TestChooseKubeletClient(t *testing.T) {
	cluster, other := newTestCA(t, "kubernetes"), newTestCA(t, "someone-else")
	// A rootfs of a node whose kubelet's config adds config, and whose
	// cluster CA is at /etc/kubernetes/pki/ca.crt.
	node := func(t *testing.T, config string) *rootfs {
		r := nodeRootfs(t)
		r.write("var/lib/kubelet/config.yaml", kubeletConfig(config))
		r.write("etc/kubernetes/pki/ca.crt", cluster.pem)
		return r
	}
	// bootstrapped leaves the kubelet's own client certificate, signed by
	// ca, as TLS bootstrapping does: kubelet-client-current.pem, an absolute
	// symlink to a dated file holding certificate and key.
	bootstrapped := func(t *testing.T, r *rootfs, ca testCA, ext x509.ExtKeyUsage, lifetime time.Duration) {
		cert, key := ca.clientOf(t, "system:node:node-a", ext, lifetime)
		r.write("var/lib/kubelet/pki/kubelet-client-2026-11-27.pem", cert+key)
		if err := os.Symlink("/var/lib/kubelet/pki/kubelet-client-2026-11-27.pem", filepath.Join(r.dir, "var/lib/kubelet/pki/kubelet-client-current.pem")); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		setup func(t *testing.T) *rootfs
		// certFile and keyFile are the user's --kubelet-client-cert and -key.
		certFile, keyFile string
		verdict           Verdict
		want              []string
		// source is where the chosen certificate comes from; none: present
		// no certificate; "" and !none: the per-run one.
		source  string
		none    bool
		wantErr bool
	}{
		"anonymous and no client CA": {
			setup:   func(t *testing.T) *rootfs { return node(t, "authentication:\n  anonymous:\n    enabled: true\n") },
			verdict: Pass, want: []string{"lets anonymous requests in and trusts no client CA"},
		},
		"a config file's defaults refuse anonymous requests": {
			setup:   func(t *testing.T) *rootfs { return node(t, "") },
			verdict: Fail, want: []string{"refuses anonymous requests and trusts no client CA", "authentication.anonymous.enabled: true"},
		},
		"no config file: the flags' defaults let anonymous requests in": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, "")
				r.kubelet("/usr/bin/kubelet", "--kubeconfig=/etc/kubernetes/kubelet.conf")
				return r
			},
			verdict: Pass, want: []string{"lets anonymous requests in"},
		},
		"--anonymous-auth=false overrides the config": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, "authentication:\n  anonymous:\n    enabled: true\n")
				r.kubelet("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--anonymous-auth=false")
				return r
			},
			verdict: Fail, want: []string{"refuses anonymous requests"},
		},
		"kubeadm control-plane node: the API server's kubelet client certificate": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				cert, key := cluster.clientOf(t, "kube-apiserver-kubelet-client", x509.ExtKeyUsageClientAuth, 365*day)
				r.write("etc/kubernetes/pki/apiserver-kubelet-client.crt", cert)
				r.write("etc/kubernetes/pki/apiserver-kubelet-client.key", key)
				return r
			},
			verdict: Pass, source: "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
			want: []string{"trusts the client CA /etc/kubernetes/pki/ca.crt (authentication.x509.clientCAFile of /var/lib/kubelet/config.yaml)",
				"presents /etc/kubernetes/pki/apiserver-kubelet-client.crt (CN kube-apiserver-kubelet-client"},
		},
		"joined node: the kubelet's own client certificate, through its symlink": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				bootstrapped(t, r, cluster, x509.ExtKeyUsageClientAuth, 365*day)
				return r
			},
			verdict: Pass, source: "/var/lib/kubelet/pki/kubelet-client-current.pem",
			want: []string{"presents /var/lib/kubelet/pki/kubelet-client-current.pem (CN system:node:node-a"},
		},
		"client CA from --client-ca-file, relative config paths": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, "authentication:\n  anonymous:\n    enabled: false\n")
				r.write("srv/ca.pem", cluster.pem)
				r.kubelet("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--client-ca-file", "/srv/ca.pem", "--cert-dir=/srv/pki")
				cert, key := cluster.clientOf(t, "system:node:node-a", x509.ExtKeyUsageClientAuth, 365*day)
				r.write("srv/pki/kubelet-client-current.pem", cert+key)
				return r
			},
			verdict: Pass, source: "/srv/pki/kubelet-client-current.pem", want: []string{"/srv/ca.pem (--client-ca-file)"},
		},
		"a certificate of another CA": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				bootstrapped(t, r, other, x509.ExtKeyUsageClientAuth, 365*day)
				return r
			},
			verdict: Fail,
			want: []string{"refuses anonymous requests and accepts only client certificates its client CA /etc/kubernetes/pki/ca.crt",
				"/var/lib/kubelet/pki/kubelet-client-current.pem: x509: certificate signed by unknown authority",
				"/etc/kubernetes/pki/apiserver-kubelet-client.crt: no such file", "--kubelet-client-cert and --kubelet-client-key"},
		},
		"an expired certificate": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				bootstrapped(t, r, cluster, x509.ExtKeyUsageClientAuth, -day)
				return r
			},
			verdict: Fail, want: []string{"kubelet-client-current.pem: x509: certificate has expired"},
		},
		"a certificate for servers only": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				bootstrapped(t, r, cluster, x509.ExtKeyUsageServerAuth, 365*day)
				return r
			},
			verdict: Fail, want: []string{"kubelet-client-current.pem: x509: certificate specifies an incompatible key usage"},
		},
		"anonymous requests let in, but a certificate of another CA would be refused": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, strings.Replace(secured, "enabled: false", "enabled: true", 1))
				bootstrapped(t, r, other, x509.ExtKeyUsageClientAuth, 365*day)
				return r
			},
			verdict: Pass, none: true, want: []string{"lets anonymous requests in; no certificate its client CA /etc/kubernetes/pki/ca.crt signed was found", "presents none"},
		},
		"the user's certificate and key": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				cert, key := cluster.clientOf(t, "node-test", x509.ExtKeyUsageClientAuth, 365*day)
				r.write("root/nt.crt", cert)
				r.write("root/nt.key", key)
				return r
			},
			certFile: "/root/nt.crt", keyFile: "/root/nt.key",
			verdict: Pass, source: "/root/nt.crt", want: []string{"presents /root/nt.crt (CN node-test", "as given"},
		},
		"the user's certificate of another CA": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				cert, key := other.clientOf(t, "node-test", x509.ExtKeyUsageClientAuth, 365*day)
				r.write("root/nt.pem", cert+key)
				return r
			},
			certFile: "/root/nt.pem", wantErr: true,
			verdict: Fail, want: []string{"--kubelet-client-cert /root/nt.pem: x509: certificate signed by unknown authority", "the kubelet's client CA /etc/kubernetes/pki/ca.crt"},
		},
		"the user's certificate missing": {
			setup:    func(t *testing.T) *rootfs { return node(t, secured) },
			certFile: "/root/nt.pem", wantErr: true,
			verdict: Fail, want: []string{"--kubelet-client-cert /root/nt.pem: no such file"},
		},
		"the user's certificate with another key": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				cert, _ := cluster.clientOf(t, "node-test", x509.ExtKeyUsageClientAuth, 365*day)
				_, key := cluster.clientOf(t, "node-test", x509.ExtKeyUsageClientAuth, 365*day)
				r.write("root/nt.crt", cert)
				r.write("root/nt.key", key)
				return r
			},
			certFile: "/root/nt.crt", keyFile: "/root/nt.key", wantErr: true,
			verdict: Fail, want: []string{"not a certificate and key pair"},
		},
		"no kubelet": {
			setup: func(t *testing.T) *rootfs {
				r := node(t, secured)
				r.remove("proc/4242")
				return r
			},
			verdict: NotApplicable, want: []string{"no kubelet process found"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := tc.setup(t)
			kc, c, err := ChooseKubeletClient(r.host(), tc.certFile, tc.keyFile, time.Now())
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(c.Message, err.Error()) {
				t.Errorf("the check's message %q does not carry the error %q", c.Message, err)
			}
			if c.Title() != "[kubelet] control plane access to the kubelet" {
				t.Errorf("check %q", c.Title())
			}
			expect(t, c, tc.verdict, tc.want...)
			if kc.Source != tc.source || kc.None != tc.none {
				t.Errorf("chose %q (none: %v), want %q (none: %v)", kc.Source, kc.None, tc.source, tc.none)
			}
			if tc.source != "" {
				want, err := r.host().ReadFile(tc.source)
				if err != nil {
					t.Fatal(err)
				}
				if string(kc.CertPEM) != string(want) || len(kc.KeyPEM) == 0 {
					t.Errorf("the chosen certificate is not %s's, or has no key", tc.source)
				}
			} else if kc.CertPEM != nil || kc.KeyPEM != nil {
				t.Errorf("a certificate was chosen from %q", kc.Source)
			}
		})
	}
}
