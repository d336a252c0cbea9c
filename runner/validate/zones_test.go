package validate

import "testing"

func TestCheckZones(t *testing.T) {
	expect(t, CheckZones(map[string]string{"topology.kubernetes.io/zone": "eu-1a", "kubernetes.io/hostname": "node-a"}), Fail,
		"has topology.kubernetes.io/zone but no topology.kubernetes.io/region", "topology.kubernetes.io/zone=eu-1a",
		"topology.kubernetes.io/region=<region>")
	expect(t, CheckZones(map[string]string{"topology.kubernetes.io/zone": "eu-1a", "topology.kubernetes.io/region": "eu-1"}), Pass,
		"topology.kubernetes.io/region=eu-1, topology.kubernetes.io/zone=eu-1a")
	expect(t, CheckZones(map[string]string{"failure-domain.beta.kubernetes.io/zone": "z"}), Pass,
		"failure-domain.beta.kubernetes.io/zone=z")
	expect(t, CheckZones(map[string]string{"kubernetes.io/hostname": "node-a"}), Pass, "no zone labels")
	expect(t, CheckZones(nil), Pass, "no zone labels")
	if c := CheckZones(nil); c.Title() != "[zones] topology labels" {
		t.Errorf("title %q", c.Title())
	}
}
