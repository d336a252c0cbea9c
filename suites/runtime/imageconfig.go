package runtime

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"

	v1 "k8s.io/api/core/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/images/refs"
	"github.com/node-test/node-test/suites/framework"
)

// What the image-config image's configuration says (images/recipes.go
// builds it so; the specs check the runtime applies it, not the recipe).
// Its USER is a uid whose primary group only the image's /etc/passwd
// names: the kubelet hands the runtime the image's uid alone, dropping a
// group USER would name (kubernetes/kubernetes#61967), and the runtime
// must find the group there.
const (
	imageWorkingDir = "/srv/image-config"
	imageUID        = "4321"
	imageGID        = "4322"
	imageEntrypoint = "/bin/sh /image-config/report.sh"
	imageCmd        = "image-cmd"
	imagePath       = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// critest builds each container's configuration itself and checks the
// image's user only as the image service reports it; here the kubelet and
// the runtime together must merge the image's configuration with the
// pod's, as the API documents it: command replaces the ENTRYPOINT and
// drops the CMD, args alone replace the CMD, env adds to and overrides the
// image's ENV, workingDir and runAsUser/runAsGroup replace WORKDIR and
// USER.
var _ = e2eframework.SIGDescribe("node")("ImageConfig", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("image-config")
	f.NamespacePodSecurityLevel = admissionapi.LevelBaseline

	It("should run a container as its image configures it when the pod leaves it unset: working directory, user, environment, entrypoint and command", func(ctx SpecContext) {
		pod := imageConfigPod(v1.Container{Name: "image"})
		got := parseImageReport(framework.Output(ctx, f, pod)["image"])
		got.expect("the image's", imageWorkingDir, imageUID, imageGID, imageEntrypoint+" "+imageCmd, map[string]string{
			"PATH": imagePath, "IMAGE_CONFIG_FROM": "image", "IMAGE_CONFIG_ONLY_IMAGE": "kept",
		})
	})

	It("should let the pod's workingDir, runAsUser, runAsGroup, env, command and args replace the image's", func(ctx SpecContext) {
		pod := imageConfigPod(
			v1.Container{
				Name:       "everything",
				WorkingDir: "/tmp",
				Command:    []string{"/bin/sh", "/image-config/report.sh"},
				Args:       []string{"pod-args"},
				Env: []v1.EnvVar{
					{Name: "IMAGE_CONFIG_FROM", Value: "pod"},
					{Name: "IMAGE_CONFIG_ONLY_POD", Value: "added"},
				},
				SecurityContext: &v1.SecurityContext{RunAsUser: ptr.To[int64](2000), RunAsGroup: ptr.To[int64](3000)},
			},
			v1.Container{Name: "args", Args: []string{"pod-args"}},
			v1.Container{Name: "command", Command: []string{"/bin/sh", "/image-config/report.sh", "pod-command"}},
		)
		out := framework.Output(ctx, f, pod)
		parseImageReport(out["everything"]).expect("the pod's", "/tmp", "2000", "3000", imageEntrypoint+" pod-args", map[string]string{
			"PATH": imagePath, "IMAGE_CONFIG_FROM": "pod", "IMAGE_CONFIG_ONLY_IMAGE": "kept", "IMAGE_CONFIG_ONLY_POD": "added",
		})
		// args alone keep the image's ENTRYPOINT and replace its CMD.
		parseImageReport(out["args"]).expect("the image's ENTRYPOINT with the pod's args,", imageWorkingDir, imageUID, imageGID, imageEntrypoint+" pod-args", nil)
		// command alone replaces the ENTRYPOINT and drops the image's CMD.
		parseImageReport(out["command"]).expect("the pod's command without the image's CMD,", imageWorkingDir, imageUID, imageGID, imageEntrypoint+" pod-command", nil)
	})
})

// imageConfigPod is a pod of containers of the image-config image, never
// pulled, with the runtime handler under test.
func imageConfigPod(containers ...v1.Container) *v1.Pod {
	for i := range containers {
		containers[i].Image = refs.ImageConfig
		containers[i].ImagePullPolicy = v1.PullNever
	}
	pod := framework.BusyboxPod("image-config")
	pod.Spec.Containers = containers
	return pod
}

// imageReport is what the image-config image's entrypoint printed of the
// process the runtime started.
type imageReport struct {
	cwd, uid, gid, cmdline string
	env                    map[string]string
	raw                    string
}

func parseImageReport(log string) imageReport {
	r := imageReport{env: map[string]string{}, raw: log}
	for _, line := range strings.Split(log, "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "cwd":
			r.cwd = v
		case "uid":
			r.uid = v
		case "gid":
			r.gid = v
		case "cmdline":
			r.cmdline = strings.TrimSpace(v)
		case "env":
			name, value, _ := strings.Cut(v, "=")
			r.env[name] = value
		}
	}
	if !strings.Contains(log, "\nend") {
		e2eframework.Failf("the image-config container did not print its whole report (does the runtime run the image's entrypoint?):\n%s", log)
	}
	return r
}

// expect fails the spec naming the first field of the process that is not
// whose's: its working directory, uid and gid, command line, and each
// variable of env.
func (r imageReport) expect(whose, cwd, uid, gid, cmdline string, env map[string]string) {
	GinkgoHelper()
	if r.cwd != cwd {
		e2eframework.Failf("the container's working directory is %q, not %s %q\n%s", r.cwd, whose, cwd, r.raw)
	}
	if r.uid != uid || r.gid != gid {
		e2eframework.Failf("the container runs as uid %s gid %s, not %s uid %s and its group %s\n%s", r.uid, r.gid, whose, uid, gid, r.raw)
	}
	if r.cmdline != cmdline {
		e2eframework.Failf("the container's command line is %q, not %s %q\n%s", r.cmdline, whose, cmdline, r.raw)
	}
	for name, want := range env {
		if got, ok := r.env[name]; !ok || got != want {
			e2eframework.Failf("the container's environment has %s=%q (set: %v), not %s %s=%q\n%s", name, got, ok, whose, name, want, r.raw)
		}
	}
}
