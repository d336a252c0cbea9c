package validate

import (
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// zoneLabels are the topology labels reported, GA first, then their
// deprecated beta forms.
var zoneLabels = []string{
	v1.LabelTopologyRegion,
	v1.LabelTopologyZone,
	v1.LabelFailureDomainBetaRegion,
	v1.LabelFailureDomainBetaZone,
}

// CheckZones judges the Node's topology labels: a node in a zone
// (topology.kubernetes.io/zone) must also say its region
// (topology.kubernetes.io/region). It is not part of Run: the Node object
// exists only once the control plane runs.
func CheckZones(labels map[string]string) Check {
	c := Check{Area: AreaZones, Name: "topology labels"}
	var found []string
	for _, l := range zoneLabels {
		if v, ok := labels[l]; ok {
			found = append(found, l+"="+v)
		}
	}
	slices.Sort(found)
	_, zone := labels[v1.LabelTopologyZone]
	_, region := labels[v1.LabelTopologyRegion]
	switch {
	case zone && !region:
		c.Verdict = Fail
		c.Message = fmt.Sprintf("the node has %s but no %s (labels: %s)", v1.LabelTopologyZone, v1.LabelTopologyRegion, strings.Join(found, ", "))
		c.Fix = fmt.Sprintf("label the node with its region too: %s=<region> (the kubelet takes both from the cloud provider or --node-labels)", v1.LabelTopologyRegion)
	case len(found) == 0:
		c.Verdict, c.Message = Pass, "no zone labels"
	default:
		c.Verdict, c.Message = Pass, strings.Join(found, ", ")
	}
	return c
}
