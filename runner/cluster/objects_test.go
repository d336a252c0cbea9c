package cluster

import (
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
)

// The node's pod is the documented docker run on the node: pinned to it,
// privileged on its network, / at /rootfs, the static pod directory at its
// own path, the report in /var/result; the run's contract passed on.
func TestPod(t *testing.T) {
	cfg := NewConfig()
	cfg.Image = "registry.example/node-test:v1"
	cfg.APIServer = "https://10.0.0.1:6443"
	cfg.Env = [][2]string{{"FOCUS", "MirrorPod"}, {"PARALLELISM", "4"}}
	tol, err := ParseToleration("dedicated=gpu:NoSchedule")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tolerations = []v1.Toleration{tol}
	p := cfg.pod("node-test-abcde", "worker-1.example.com", true)

	if p.Name != "node-test-worker-1.example.com" || p.Namespace != "node-test-abcde" {
		t.Errorf("pod %s/%s", p.Namespace, p.Name)
	}
	if p.Spec.NodeName != "worker-1.example.com" || !p.Spec.HostNetwork || p.Spec.ServiceAccountName != ServiceAccount || p.Spec.RestartPolicy != v1.RestartPolicyNever {
		t.Errorf("pod spec: nodeName %q hostNetwork %t serviceAccount %q restart %s", p.Spec.NodeName, p.Spec.HostNetwork, p.Spec.ServiceAccountName, p.Spec.RestartPolicy)
	}
	if !reflect.DeepEqual(p.Spec.Tolerations, []v1.Toleration{{Key: "dedicated", Operator: v1.TolerationOpEqual, Value: "gpu", Effect: v1.TaintEffectNoSchedule}}) {
		t.Errorf("tolerations %+v", p.Spec.Tolerations)
	}
	c := p.Spec.Containers[0]
	if c.Image != cfg.Image || c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("container image %q, security context %+v", c.Image, c.SecurityContext)
	}
	if got := strings.Join(c.Command, " "); got != "/usr/local/bin/node-test run --cluster --node-name=worker-1.example.com --hold" {
		t.Errorf("command %q", got)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if !reflect.DeepEqual(env, map[string]string{"REPORT_PATH": "/var/result", "FOCUS": "MirrorPod", "PARALLELISM": "4", "NODE_TEST_API_SERVER": "https://10.0.0.1:6443"}) {
		t.Errorf("env %v", env)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	host := map[string]string{}
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil {
			host[v.Name] = v.HostPath.Path
		}
	}
	if mounts["rootfs"] != "/rootfs" || host["rootfs"] != "/" || mounts["report"] != "/var/result" || len(host) != 1 {
		t.Errorf("mounts %v, host paths %v", mounts, host)
	}
	if mounts["credentials"] != CredentialsPath || p.Spec.AutomountServiceAccountToken == nil || *p.Spec.AutomountServiceAccountToken {
		t.Errorf("credentials at %q, automount %v", mounts["credentials"], p.Spec.AutomountServiceAccountToken)
	}
	for _, v := range p.Spec.Volumes {
		if v.Name == "credentials" {
			src := v.Projected.Sources
			if len(src) != 2 || src[0].ServiceAccountToken == nil || src[0].ServiceAccountToken.Path != "token" || src[1].ConfigMap == nil || src[1].ConfigMap.Name != CAConfigMap {
				t.Errorf("credentials volume %+v", src)
			}
		}
	}
	if ns := namespace("node-test-abcde"); ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" || ns.Labels[RunLabel] != "node-test-abcde" {
		t.Errorf("namespace labels %v", ns.Labels)
	}
	if errs := apivalidation.NameIsDNSSubdomain(p.Name, false); len(errs) > 0 {
		t.Errorf("pod name %q: %v", p.Name, errs)
	}
	long := strings.Repeat("a", 250)
	if n := PodName(long); len(n) > 253 || !strings.HasPrefix(n, "node-test-aaa") {
		t.Errorf("PodName of a 250-character node: %q (%d)", n, len(n))
	}
	if l := cfg.pod("ns", long, false).Labels[NodeLabel]; len(l) != 63 {
		t.Errorf("node label of a 250-character node has %d characters", len(l))
	}
}

func TestParseToleration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want v1.Toleration
		err  string
	}{
		{in: "all", want: v1.Toleration{Operator: v1.TolerationOpExists}},
		{in: "node-role.kubernetes.io/control-plane:NoSchedule", want: v1.Toleration{Key: "node-role.kubernetes.io/control-plane", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule}},
		{in: "dedicated=gpu:", want: v1.Toleration{Key: "dedicated", Operator: v1.TolerationOpEqual, Value: "gpu"}},
		{in: "dedicated=gpu", err: "want key[=value]:Effect"},
		{in: "dedicated:NoRun", err: `effect "NoRun" is none of`},
		{in: ":NoExecute", err: "the key is empty"},
	} {
		got, err := ParseToleration(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseToleration(%q) error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("ParseToleration(%q): %v", tc.in, err)
		case tc.err == "" && !reflect.DeepEqual(got, tc.want):
			t.Errorf("ParseToleration(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := NewConfig()
	cfg.MaxParallel = -1
	cfg.Nodes = "a in (b"
	cfg.PullPolicy = "Sometimes"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("a config with four bad fields validated")
	}
	for _, want := range []string{"--image is empty", "node-test images push", "--max-parallel must be 0", "--nodes \"a in (b\" is not a label selector", "--pull-policy \"Sometimes\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	good := NewConfig()
	good.Image = "node-test:v1"
	if err := good.Validate(); err != nil {
		t.Errorf("defaults with an image: %v", err)
	}
}

func TestCannotStart(t *testing.T) {
	waiting := func(reason string) *v1.Pod {
		return &v1.Pod{Status: v1.PodStatus{Phase: v1.PodPending, ContainerStatuses: []v1.ContainerStatus{{
			State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason, Message: "details"}}}}}}
	}
	for _, tc := range []struct {
		pod  *v1.Pod
		want string
	}{
		{waiting("ErrImagePull"), "the node cannot pull the image img (ErrImagePull: details): give --image an image the nodes can pull"},
		{waiting("ImagePullBackOff"), "cannot pull the image img (ImagePullBackOff"},
		{waiting("CreateContainerConfigError"), "its pod could not start: CreateContainerConfigError: details"},
		{waiting("ContainerCreating"), ""},
		{&v1.Pod{Status: v1.PodStatus{Phase: v1.PodFailed, Reason: "NodeAffinity", Message: "Pod was rejected"}}, "its pod failed before it ran: NodeAffinity: Pod was rejected"},
		{&v1.Pod{Status: v1.PodStatus{Phase: v1.PodPending}}, ""},
	} {
		why, bad := cannotStart(tc.pod, "img")
		if bad != (tc.want != "") || !strings.Contains(why, tc.want) {
			t.Errorf("cannotStart(%+v) = %q, %t; want %q", tc.pod.Status, why, bad, tc.want)
		}
	}
}
