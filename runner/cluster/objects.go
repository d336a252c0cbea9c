package cluster

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/runner"
)

// Labels of what node-test cluster creates: every object carries
// ManagedByLabel, and its run's namespace name under RunLabel; a node's pod
// carries the node's name under NodeLabel.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "node-test"
	RunLabel       = "node-test.io/run"
	NodeLabel      = runner.NodeNamespaceLabel
)

// Paths of the node's pod: the node's / and the report directory.
const (
	RootfsPath = "/rootfs"
	ReportPath = "/var/result"
	// ServiceAccount is the name of the pods' service account.
	ServiceAccount = "node-test"
	container      = "node-test"
	// CAConfigMap holds the API server's CA as the command's kubeconfig
	// has it, for the pods to verify it.
	CAConfigMap = "node-test-ca"
	// CredentialsPath is where the pods find their token and the CA, as
	// every pod of a cluster does (node-test run reads them there).
	CredentialsPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// tokenSeconds is the lifetime of the pods' tokens, which the kubelet
	// renews: the specs read theirs once, and a run may take hours.
	tokenSeconds = 24 * 60 * 60
)

// caConfigMap is the ConfigMap of the API server's CA.
func caConfigMap(ns string, ca []byte) *v1.ConfigMap {
	return &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: CAConfigMap, Namespace: ns, Labels: runLabels(ns)}, Data: map[string]string{"ca.crt": string(ca)}}
}

// labels are the labels of every object of the run whose namespace is ns.
func runLabels(ns string) map[string]string {
	return map[string]string{ManagedByLabel: ManagedBy, RunLabel: ns}
}

// namespace is the run's own namespace, whose pods Pod Security admission
// lets be privileged: a cluster that enforces a stricter level by default
// would refuse them.
func namespace(name string) *v1.Namespace {
	l := runLabels(name)
	l["pod-security.kubernetes.io/enforce"] = "privileged"
	return &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

// rules are what node-test run in cluster mode does with the API: the
// specs create namespaces and, in them, pods and what pods use; they read
// and patch their node (its status, for extended resources), reach the
// kubelet through the API server's node proxy, and create RuntimeClasses,
// PriorityClasses and leases; the runner deletes the specs' leftovers.
// The default selection without [Slow] (499 specs) ran under RBAC with
// them: the leases came of that run, the one refusal it met.
var rules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{
		"namespaces", "pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "pods/status",
		"pods/ephemeralcontainers", "pods/eviction", "pods/resize", "pods/binding",
		"configmaps", "secrets", "services", "services/proxy", "endpoints", "events", "serviceaccounts", "serviceaccounts/token",
		"persistentvolumeclaims", "persistentvolumes", "resourcequotas", "limitranges", "podtemplates", "replicationcontrollers",
	}, Verbs: []string{"*"}},
	{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/status"}, Verbs: []string{"get", "list", "watch", "patch", "update"}},
	{APIGroups: []string{""}, Resources: []string{"nodes/proxy", "nodes/stats", "nodes/metrics", "nodes/log", "nodes/spec"}, Verbs: []string{"*"}},
	{APIGroups: []string{"node.k8s.io", "scheduling.k8s.io", "apps", "batch", "policy", "events.k8s.io", "discovery.k8s.io", "resource.k8s.io",
		// The Lease API's conformance spec creates and deletes leases.
		"coordination.k8s.io"},
		Resources: []string{"*"}, Verbs: []string{"*"}},
	{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews", "selfsubjectaccessreviews"}, Verbs: []string{"create"}},
	{NonResourceURLs: []string{"/metrics", "/healthz", "/livez", "/readyz", "/version", "/api", "/api/*", "/apis", "/apis/*"}, Verbs: []string{"get"}},
}

// clusterRole and clusterRoleBinding grant the run's service account
// rules, under the run's namespace's name.
func clusterRole(ns string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: runLabels(ns)}, Rules: rules}
}

func clusterRoleBinding(ns string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: runLabels(ns)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ns},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ServiceAccount, Namespace: ns}},
	}
}

func serviceAccount(ns string) *v1.ServiceAccount {
	return &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: ServiceAccount, Namespace: ns, Labels: runLabels(ns)}}
}

// PodName is the name of node's pod: node-test- and the node's name, cut
// to a valid pod name.
func PodName(node string) string {
	name := "node-test-" + strings.ToLower(node)
	if len(name) > validation.DNS1123SubdomainMaxLength {
		name = strings.TrimRight(name[:validation.DNS1123SubdomainMaxLength], ".-")
	}
	return name
}

// pod is node's pod: node-test run in cluster mode, pinned to the node,
// privileged on its network, the node's / at /rootfs, as the documented
// docker run has them (the run finds the kubelet's static pod directory in
// the node's kubelet config and mounts it at its own path itself: it may
// differ from node to node); it holds its report until collected.
//
// Its credentials are projected explicitly, not left to the cluster's
// ServiceAccount admission: a token the kubelet requests for the run's
// service account, and the CA when the command knows it (withCA).
func (c *Config) pod(ns, node string, withCA bool) *v1.Pod {
	l := runLabels(ns)
	l[NodeLabel] = runner.LabelValue(node)
	env := []v1.EnvVar{{Name: "REPORT_PATH", Value: ReportPath}}
	for _, e := range c.Env {
		env = append(env, v1.EnvVar{Name: e[0], Value: e[1]})
	}
	if c.APIServer != "" {
		env = append(env, v1.EnvVar{Name: "NODE_TEST_API_SERVER", Value: c.APIServer})
	}
	hostPath := func(path string, t v1.HostPathType) v1.VolumeSource {
		return v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: path, Type: &t}}
	}
	creds := []v1.VolumeProjection{{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](tokenSeconds)}}}
	if withCA {
		creds = append(creds, v1.VolumeProjection{ConfigMap: &v1.ConfigMapProjection{
			LocalObjectReference: v1.LocalObjectReference{Name: CAConfigMap}, Items: []v1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}})
	}
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: PodName(node), Namespace: ns, Labels: l},
		Spec: v1.PodSpec{
			NodeName:                      node,
			ServiceAccountName:            ServiceAccount,
			AutomountServiceAccountToken:  ptr.To(false),
			HostNetwork:                   true,
			RestartPolicy:                 v1.RestartPolicyNever,
			Tolerations:                   c.Tolerations,
			TerminationGracePeriodSeconds: ptr.To[int64](120),
			Containers: []v1.Container{{
				Name:            container,
				Image:           c.Image,
				ImagePullPolicy: c.PullPolicy,
				Command:         []string{"/usr/local/bin/node-test", "run", "--cluster", "--node-name=" + node, "--hold"},
				Env:             env,
				SecurityContext: &v1.SecurityContext{Privileged: ptr.To(true)},
				VolumeMounts: []v1.VolumeMount{
					{Name: "rootfs", MountPath: RootfsPath, ReadOnly: false},
					{Name: "report", MountPath: ReportPath},
					{Name: "credentials", MountPath: CredentialsPath, ReadOnly: true},
				},
			}},
			Volumes: []v1.Volume{
				{Name: "rootfs", VolumeSource: hostPath("/", v1.HostPathDirectory)},
				{Name: "report", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
				{Name: "credentials", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: creds}}},
			},
		},
	}
}

// ParseToleration reads a --toleration: key[=value]:Effect, or key:Effect
// meaning any value; Effect empty (key=value: or key:) tolerates every
// effect; "all" tolerates every taint.
func ParseToleration(s string) (v1.Toleration, error) {
	if s == "all" {
		return v1.Toleration{Operator: v1.TolerationOpExists}, nil
	}
	kv, effect, ok := strings.Cut(s, ":")
	if !ok {
		return v1.Toleration{}, fmt.Errorf("toleration %q: want key[=value]:Effect (Effect NoSchedule, PreferNoSchedule, NoExecute or empty for all), or all", s)
	}
	t := v1.Toleration{Effect: v1.TaintEffect(effect)}
	switch t.Effect {
	case "", v1.TaintEffectNoSchedule, v1.TaintEffectPreferNoSchedule, v1.TaintEffectNoExecute:
	default:
		return v1.Toleration{}, fmt.Errorf("toleration %q: effect %q is none of NoSchedule, PreferNoSchedule, NoExecute (or empty for all)", s, effect)
	}
	key, value, hasValue := strings.Cut(kv, "=")
	if key == "" {
		return v1.Toleration{}, fmt.Errorf("toleration %q: the key is empty", s)
	}
	t.Key = key
	if hasValue {
		t.Operator, t.Value = v1.TolerationOpEqual, value
	} else {
		t.Operator = v1.TolerationOpExists
	}
	return t, nil
}
