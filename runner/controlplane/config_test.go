package controlplane

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestNewConfigDefaults(t *testing.T) {
	cfg := NewConfig()
	if cfg.InsecureAddress != "127.0.0.1:8080" || cfg.SecurePort != 6443 ||
		cfg.ServiceClusterIPRange != "10.0.0.0/24" || cfg.StartTimeout != DefaultStartTimeout ||
		cfg.StopTimeout != DefaultStopTimeout {
		t.Errorf("NewConfig() = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("NewConfig().Validate() = %v", err)
	}
}

func TestZeroConfigIsCompleted(t *testing.T) {
	cp, err := New(Config{})
	if err != nil {
		t.Fatalf("New(Config{}) = %v", err)
	}
	got := cp.cfg
	if got.InsecureAddress != DefaultInsecureAddress || got.SecurePort != 0 ||
		got.ServiceClusterIPRange != DefaultServiceClusterIPRange || got.Logger == nil {
		t.Errorf("completed zero config = %+v; want defaults with SecurePort 0 (kernel-chosen)", got)
	}
	// A control plane that never started stops cleanly and closes Err.
	if err := cp.Stop(); err != nil {
		t.Errorf("Stop() before Start = %v", err)
	}
	if _, ok := <-cp.Err(); ok {
		t.Error("Err() not closed after Stop")
	}
	if err := cp.Start(t.Context()); err == nil {
		t.Error("Start() after Stop succeeded")
	}
}

func TestValidate(t *testing.T) {
	// Two certificate and key pairs: the per-run kubelet client ones of two
	// runs.
	var certs, keys [2][]byte
	for i := range certs {
		p, err := generatePKI(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if certs[i], err = os.ReadFile(p.kubeletClientCert); err != nil {
			t.Fatal(err)
		}
		if keys[i], err = os.ReadFile(p.kubeletClientKey); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		wantErr string // substring; "" means valid
		notLoop bool   // errors.Is(err, ErrNotLoopback)
	}{
		{name: "defaults", mutate: func(*Config) {}},
		{name: "kernel-chosen ports", mutate: func(c *Config) { c.InsecureAddress = "127.0.0.1:0"; c.SecurePort = 0 }},
		{name: "localhost", mutate: func(c *Config) { c.InsecureAddress = "localhost:8080" }},
		{name: "ipv6 loopback", mutate: func(c *Config) { c.InsecureAddress = "[::1]:8080" }},
		{name: "other loopback", mutate: func(c *Config) { c.InsecureAddress = "127.0.0.2:8080" }},
		{name: "wildcard refused", mutate: func(c *Config) { c.InsecureAddress = "0.0.0.0:8080" }, wantErr: "not a loopback", notLoop: true},
		{name: "empty host refused", mutate: func(c *Config) { c.InsecureAddress = ":8080" }, wantErr: "not a loopback", notLoop: true},
		{name: "external IP refused", mutate: func(c *Config) { c.InsecureAddress = "10.1.2.3:8080" }, wantErr: "10.1.2.3:8080", notLoop: true},
		{name: "host name refused", mutate: func(c *Config) { c.InsecureAddress = "example.com:8080" }, wantErr: "not a loopback", notLoop: true},
		{name: "wildcard allowed", mutate: func(c *Config) { c.InsecureAddress = "0.0.0.0:8080"; c.AllowNonLoopback = true }},
		{name: "host name still refused when allowed", mutate: func(c *Config) { c.InsecureAddress = "example.com:8080"; c.AllowNonLoopback = true }, wantErr: "IP address"},
		{name: "no port", mutate: func(c *Config) { c.InsecureAddress = "127.0.0.1" }, wantErr: "parse insecure address"},
		{name: "bad port", mutate: func(c *Config) { c.InsecureAddress = "127.0.0.1:99999" }, wantErr: "invalid port"},
		{name: "secure port range", mutate: func(c *Config) { c.SecurePort = 70000 }, wantErr: "out of range"},
		{name: "negative secure port", mutate: func(c *Config) { c.SecurePort = -1 }, wantErr: "out of range"},
		{name: "token ok", mutate: func(c *Config) { c.BearerToken = "abc-DEF_123.xyz" }},
		{name: "token with comma", mutate: func(c *Config) { c.BearerToken = "a,b" }, wantErr: "bearer token"},
		{name: "token with space", mutate: func(c *Config) { c.BearerToken = "a b" }, wantErr: "bearer token"},
		{name: "token with newline", mutate: func(c *Config) { c.BearerToken = "a\nb" }, wantErr: "bearer token"},
		{name: "bad CIDR", mutate: func(c *Config) { c.ServiceClusterIPRange = "10.0.0.0" }, wantErr: "service cluster IP range"},
		{name: "negative timeout", mutate: func(c *Config) { c.StartTimeout = -1 }, wantErr: "timeouts"},
		{name: "kubelet client certificate and key", mutate: func(c *Config) { c.KubeletClientCert, c.KubeletClientKey = certs[0], keys[0] }},
		{name: "kubelet client certificate holding its key", mutate: func(c *Config) { c.KubeletClientCert = append(slices.Clone(certs[0]), keys[0]...) }},
		{name: "no kubelet client certificate", mutate: func(c *Config) { c.NoKubeletClientCert = true }},
		{name: "kubelet client key alone", mutate: func(c *Config) { c.KubeletClientKey = keys[0] }, wantErr: "a key without its certificate"},
		{name: "kubelet client certificate without key", mutate: func(c *Config) { c.KubeletClientCert = certs[0] }, wantErr: "kubelet client certificate"},
		{name: "kubelet client certificate with another's key", mutate: func(c *Config) { c.KubeletClientCert, c.KubeletClientKey = certs[0], keys[1] }, wantErr: "private key does not match public key"},
		{name: "kubelet client certificate and none", mutate: func(c *Config) {
			c.KubeletClientCert, c.KubeletClientKey, c.NoKubeletClientCert = certs[0], keys[0], true
		}, wantErr: "a certificate given with NoKubeletClientCert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.wantErr)
			}
			if got := errors.Is(err, ErrNotLoopback); got != tc.notLoop {
				t.Errorf("errors.Is(%v, ErrNotLoopback) = %v, want %v", err, got, tc.notLoop)
			}
			if _, newErr := New(cfg); newErr == nil {
				t.Error("New() accepted an invalid config")
			}
		})
	}
}

func TestInsecureListenAddressMapsLocalhost(t *testing.T) {
	got, err := insecureListenAddress("localhost:0", false)
	if err != nil || got != "127.0.0.1:0" {
		t.Errorf("insecureListenAddress(localhost:0) = %q, %v; want 127.0.0.1:0", got, err)
	}
}

func TestWriteTokenFile(t *testing.T) {
	path := t.TempDir() + "/tokens.csv"
	if err := writeTokenFile(path, "admintok", "usertok"); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, path)
	want := "admintok,node-test-admin,node-test-admin,system:masters\nusertok,kubelet,kubelet,system:masters\n"
	if data != want {
		t.Errorf("token file = %q, want %q", data, want)
	}
	if mode := fileMode(t, path); mode != 0o600 {
		t.Errorf("token file mode = %v, want 0600", mode)
	}
}
