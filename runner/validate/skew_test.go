package validate

import "testing"

func TestCheckKubeletVersion(t *testing.T) {
	for _, kubelet := range []string{"v1.37.2", "v1.37.0", "v1.36.5", "v1.35.1", "v1.34.4", "v1.34.0-rc.1", "v1.37.3+k3s1", "v1.34.2-eks-113cf36"} {
		expect(t, CheckKubeletVersion(kubelet, "v1.37.2"), Pass, "kubelet "+kubelet, "certifies kubelets v1.34 to v1.37")
	}
	expect(t, CheckKubeletVersion("v1.33.7", "v1.37.2"), Fail,
		"v1.33.7 is more than 3 minor releases older than node-test's control plane v1.37.2",
		"use the node-test release for Kubernetes v1.33", "certifies kubelets v1.34 to v1.37")
	expect(t, CheckKubeletVersion("v1.38.0", "v1.37.2"), Fail,
		"kubelet v1.38.0 is newer than node-test's control plane v1.37.2", "use the node-test release for Kubernetes v1.38")
	expect(t, CheckKubeletVersion("v2.0.0", "v1.37.2"), Fail, "newer than")
	expect(t, CheckKubeletVersion("", "v1.37.2"), Fail, `kubelet version ""`, "certifies kubelets v1.34 to v1.37")
	expect(t, CheckKubeletVersion("kubelet-dev", "v1.37.2"), Fail, `"kubelet-dev", which cannot be parsed`)
	expect(t, CheckKubeletVersion("v1.37.2", "main"), Fail, `node-test's Kubernetes version "main"`)
	if c := CheckKubeletVersion("v1.37.2", "v1.37.2"); c.Title() != "[kubelet] version skew" {
		t.Errorf("title %q", c.Title())
	}
}
