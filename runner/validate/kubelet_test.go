package validate

import (
	"reflect"
	"testing"
)

func TestParseFlags(t *testing.T) {
	got := parseFlags([]string{
		"--config=/etc/kubelet.yaml", "--kubeconfig", "/etc/kubelet.conf", "-v=2", "--max-pods", "100",
		"--cloud-provider=", "--fail-swap-on", "--node-ip", "10.0.0.5", "positional", "--max-pods=120",
	}, kubeletValueFlags)
	want := map[string]string{
		"config": "/etc/kubelet.yaml", "kubeconfig": "/etc/kubelet.conf", "v": "2", "max-pods": "120",
		"cloud-provider": "", "fail-swap-on": "true", "node-ip": "10.0.0.5",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseFlags = %v, want %v", got, want)
	}
}

func TestKubeletOfALocalNodePasses(t *testing.T) {
	checks := nodeRootfs(t).run()
	expect(t, find(t, checks, "[kubelet] process"), Pass, "pid 4242: /usr/bin/kubelet --config=/var/lib/kubelet/config.yaml")
	expect(t, find(t, checks, "[kubelet] config file"), Pass, "/var/lib/kubelet/config.yaml")
	expect(t, find(t, checks, "[kubelet] cloud provider"), Pass, "no --cloud-provider")
	expect(t, find(t, checks, "[kubelet] max pods"), Pass, "110 pods (maxPods in /var/lib/kubelet/config.yaml)")
	expect(t, find(t, checks, "[kubelet] API server"), Pass, "http://localhost:8080 (kubeconfig /etc/kubernetes/kubelet.conf)")
}

func TestKubeletMaxPods(t *testing.T) {
	for name, tc := range map[string]struct {
		config  string
		dropIn  string
		flags   []string
		verdict Verdict
		want    []string
	}{
		"config above the limit": {
			config: "maxPods: 250\n", verdict: Fail,
			want: []string{"250 pods (maxPods in /var/lib/kubelet/config.yaml): the documented per-node limit for large clusters is 110 pods",
				"set maxPods to 110 or less in /var/lib/kubelet/config.yaml"},
		},
		"flag above the limit overrides the config": {
			flags: []string{"--max-pods=300"}, verdict: Fail,
			want: []string{"300 pods (--max-pods)", "set --max-pods to 110 or less"},
		},
		"flag within the limit overrides the config": {
			config: "maxPods: 250\n", flags: []string{"--max-pods", "100"}, verdict: Pass, want: []string{"100 pods (--max-pods)"},
		},
		"drop-in overrides the config": {
			dropIn: "maxPods: 200\n", verdict: Fail, want: []string{"200 pods"},
		},
		"default": {
			config: "maxPods: 0\n", verdict: Pass, want: []string{"110 pods (the kubelet's default)"},
		},
		"flag not a number": {
			flags: []string{"--max-pods=many"}, verdict: Fail, want: []string{`--max-pods="many" is not a number`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := nodeRootfs(t)
			r.write("var/lib/kubelet/config.yaml", kubeletConfig(tc.config))
			args := []string{"/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf"}
			if tc.dropIn != "" {
				r.write("etc/kubernetes/kubelet.conf.d/10-pods.conf", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"+tc.dropIn)
				r.write("etc/kubernetes/kubelet.conf.d/README", "not a drop-in")
				args = append(args, "--config-dir=/etc/kubernetes/kubelet.conf.d")
			}
			r.kubelet(append(args, tc.flags...)...)
			expect(t, find(t, r.run(), "[kubelet] max pods"), tc.verdict, tc.want...)
		})
	}
}

func TestKubeletCloudProvider(t *testing.T) {
	r := nodeRootfs(t)
	r.kubelet("/usr/local/bin/kubelet", "--cloud-provider=gce", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf")
	expect(t, find(t, r.run(), "[kubelet] cloud provider"), Fail,
		"the kubelet runs with --cloud-provider=gce", "remove --cloud-provider from the kubelet's command line", "node conformance documentation")

	r.kubelet("/usr/local/bin/kubelet", "--cloud-provider", "", "--config=/var/lib/kubelet/config.yaml")
	expect(t, find(t, r.run(), "[kubelet] cloud provider"), Pass, "no --cloud-provider")
}

func TestKubeletAPIServer(t *testing.T) {
	for server, verdict := range map[string]Verdict{
		"http://localhost:8080":   Pass,
		"http://127.0.0.1:8080/":  Pass,
		"https://127.0.0.1:6443":  Pass,
		"https://localhost:6443":  Pass,
		"https://10.0.0.1:6443":   Fail,
		"http://localhost:8080/x": Fail,
		"http://localhost:8081":   Fail,
	} {
		t.Run(server, func(t *testing.T) {
			r := nodeRootfs(t)
			r.write("etc/kubernetes/kubelet.conf", kubeconfig(server, ""))
			c := find(t, r.run(), "[kubelet] API server")
			if verdict == Pass {
				expect(t, c, Pass, "the local control plane")
				return
			}
			expect(t, c, Fail, "/etc/kubernetes/kubelet.conf points at "+server, "not the local control plane",
				"set server: http://localhost:8080 in the kubelet's kubeconfig /etc/kubernetes/kubelet.conf", "restart the kubelet")
		})
	}
}

func TestKubeletWithoutKubeconfigOrConfig(t *testing.T) {
	r := nodeRootfs(t)
	r.kubelet("kubelet", "--v=4")
	checks := r.run()
	expect(t, find(t, checks, "[kubelet] API server"), Fail, "without --kubeconfig")
	expect(t, find(t, checks, "[kubelet] config file"), Pass, "no --config")
	expect(t, find(t, checks, "[kubelet] max pods"), Pass, "110 pods (the kubelet's default)")
	expect(t, find(t, checks, "[pki] client certificate"), NotApplicable, "without --kubeconfig")

	r.kubelet("kubelet", "--config", "/var/lib/kubelet/missing.yaml", "--kubeconfig", "/etc/kubernetes/missing.conf")
	checks = r.run()
	expect(t, find(t, checks, "[kubelet] config file"), Fail, "read the kubelet config", "missing.yaml")
	expect(t, find(t, checks, "[kubelet] max pods"), NotApplicable, "cannot be read")
	expect(t, find(t, checks, "[kubelet] API server"), Fail, "read the kubelet's kubeconfig", "missing.conf")

	r.write("var/lib/kubelet/config.yaml", "kind: Pod\n")
	r.kubelet("kubelet", "--config", "/var/lib/kubelet/config.yaml")
	expect(t, find(t, r.run(), "[kubelet] config file"), Fail, `kind is "Pod", not KubeletConfiguration`)
}

func TestNoKubeletProcess(t *testing.T) {
	r := nodeRootfs(t)
	r.remove("proc/4242")
	r.write("proc/1/cmdline", "/sbin/init\x00")
	r.write("proc/77/cmdline", "/usr/bin/kubelet-wrapper\x00--kubelet\x00")
	checks := r.run()
	expect(t, find(t, checks, "[kubelet] process"), Fail, "no kubelet process found in the host's process table", "start the kubelet")
	for _, title := range []string{"[kubelet] config file", "[kubelet] cloud provider", "[kubelet] max pods", "[kubelet] API server",
		"[pki] client certificate", "[pki] serving certificate"} {
		expect(t, find(t, checks, title), NotApplicable, "no kubelet process found")
	}
}
