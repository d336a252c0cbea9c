package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientset "k8s.io/client-go/kubernetes"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	imageutils "k8s.io/kubernetes/test/utils/image"

	"github.com/node-test/node-test/suites/framework"
)

const (
	// mirrorPodTimeout bounds every wait for the kubelet to act on its static
	// pod directory. It notices a change at once (inotify) or, at the
	// latest, after its fileCheckFrequency (20s by default).
	mirrorPodTimeout = 2 * time.Minute
	mirrorPodPoll    = 2 * time.Second

	// gracePeriod is the termination grace period of the graceful static
	// pod; its container exits termDelay after it gets SIGTERM.
	gracePeriod = 90 * time.Second
	termDelay   = 15 * time.Second
	// gracefulExitBound is how long after the manifest changes the graceful
	// pod must be gone: well after its container exits, well before the
	// kubelet would kill it at the end of the grace period.
	gracefulExitBound = 60 * time.Second
)

var _ = e2eframework.SIGDescribe("node")("MirrorPod", e2eframework.WithNodeConformance(), func() {
	var dir string
	// Before the framework's own BeforeEach: no namespace for a spec that skips.
	BeforeEach(func() {
		var err error
		dir, err = framework.StaticPodDir()
		if errors.Is(err, framework.ErrNoStaticPodDir) {
			framework.SkipNotRun("the kubelet's static pod directory is not known", "pass --static-pod-dir, and in a container mount it at the same path: -v $CONFIG_DIR:$CONFIG_DIR")
		}
		if err != nil {
			Fail(err.Error())
		}
	})

	// The namespace is restricted, like the static pods: the API server
	// admits their mirror pods.
	f := e2eframework.NewDefaultFramework("mirror-pod")

	BeforeEach(func(ctx SpecContext) {
		removed, err := framework.RemoveStaleStaticPods(ctx, f.ClientSet, dir)
		e2eframework.ExpectNoError(err, "remove the static pods an interrupted run left in %s", dir)
		for _, path := range removed {
			e2eframework.Logf("removed %s, left by an interrupted run", path)
		}
	})

	Context("when a static pod's manifest is written in the static pod directory", func() {
		var sp *staticPodTest
		BeforeEach(func(ctx SpecContext) {
			sp = startStaticPod(ctx, f.ClientSet, dir, f.Namespace.Name, "static-busybox", loopSpec())
		})

		// Upstream's node suite (MirrorPod) checks that the mirror pod is
		// recreated running, with a new UID; these check that the static pod
		// itself was left alone: the same container, never restarted.
		It("should recreate the mirror pod with a new UID, the static pod still running, when it is deleted gracefully through the API", func(ctx SpecContext) {
			sp.deleteMirrorPod(ctx, 30)
		})

		It("should recreate the mirror pod with a new UID, the static pod still running, when it is force-deleted through the API", func(ctx SpecContext) {
			sp.deleteMirrorPod(ctx, 0)
		})
	})

	Context("when a static pod has a termination grace period", func() {
		var sp *staticPodTest
		BeforeEach(func(ctx SpecContext) {
			sp = startStaticPod(ctx, f.ClientSet, dir, f.Namespace.Name, "static-graceful", gracefulSpec())
			By("waiting for the container to be ready: its SIGTERM handler is set")
			framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
				pod, err := sp.running(ctx, "")
				if err != nil {
					return err
				}
				if !pod.Status.ContainerStatuses[0].Ready {
					return fmt.Errorf("container %s of mirror pod %s is not ready", pod.Status.ContainerStatuses[0].Name, pod.Name)
				}
				return nil
			}).WithTimeout(mirrorPodTimeout).WithPolling(time.Second).Should(Succeed()), "the static pod's container did not become ready")
		})

		// Upstream's node suite (MirrorPodWithGracePeriod) checks that the
		// mirror pod stays for a while; these check that it stays exactly as
		// long as the container handles SIGTERM, and goes once the container
		// exits, not at the end of the grace period.
		It("should keep the mirror pod until the container exits on SIGTERM, within the grace period, when the manifest is removed", func(ctx SpecContext) {
			old := sp.get(ctx)

			By(fmt.Sprintf("removing the manifest: the container gets SIGTERM and exits %v later", termDelay))
			changed := time.Now()
			e2eframework.ExpectNoError(sp.pod.Remove())

			sp.expectStays(ctx, old.UID, "the mirror pod went away while its container was still handling SIGTERM: the grace period was not honoured")

			By(fmt.Sprintf("waiting for the mirror pod to go once the container exited, before the %v grace period ends", gracePeriod))
			sp.waitGone(ctx, gracefulExitBound-time.Since(changed), fmt.Sprintf(
				"the mirror pod was still there %v after the manifest was removed: the container's exit on SIGTERM did not end the pod", gracefulExitBound))
			e2eframework.Logf("the mirror pod went %v after the manifest was removed", time.Since(changed).Round(time.Second))
		})

		It("should replace the mirror pod only once the old container exits on SIGTERM, within the grace period, when the manifest is updated", func(ctx SpecContext) {
			old := sp.get(ctx)

			By(fmt.Sprintf("updating the manifest: the old container gets SIGTERM and exits %v later", termDelay))
			changed := time.Now()
			sp.pod.Pod.Spec = pauseSpec()
			e2eframework.ExpectNoError(sp.pod.Write())

			sp.expectStays(ctx, old.UID, "the old mirror pod was replaced while its container was still handling SIGTERM: the grace period was not honoured")

			By("waiting for the new mirror pod to run once the old container exited, before the grace period ends")
			pod := sp.waitRunningWithin(ctx, old.UID, gracefulExitBound-time.Since(changed), fmt.Sprintf(
				"the updated static pod was not running %v after the manifest was updated: the old container's exit on SIGTERM did not end the old pod", gracefulExitBound))
			e2eframework.Logf("the new mirror pod ran %v after the manifest was updated", time.Since(changed).Round(time.Second))
			Expect(pod.Spec.Containers[0].Image).To(Equal(imageutils.GetPauseImageName()))
		})
	})
})

// staticPodTest is one spec's static pod and the name of its mirror pod.
type staticPodTest struct {
	c      clientset.Interface
	pod    *framework.StaticPod
	mirror string
}

// startStaticPod writes the manifest of a static pod and waits for its mirror
// pod to run. The manifest is removed, and the mirror pod waited for, when the
// spec ends, whatever its outcome.
func startStaticPod(ctx context.Context, c clientset.Interface, dir, namespace, name string, spec v1.PodSpec) *staticPodTest {
	GinkgoHelper()
	sp := &staticPodTest{c: c, pod: framework.NewStaticPod(dir, namespace, name, spec)}
	sp.mirror = sp.pod.MirrorPodName(e2eframework.TestContext.NodeName)
	DeferCleanup(sp.stop)

	By(fmt.Sprintf("writing the static pod manifest %s", sp.pod.Path()))
	e2eframework.ExpectNoError(sp.pod.Write())
	sp.waitRunning(ctx, "", fmt.Sprintf(
		"the mirror pod %s/%s never appeared running for the manifest %s: is %s the directory the kubelet watches (its staticPodPath), mounted at the same path?",
		namespace, sp.mirror, sp.pod.Path(), dir))
	return sp
}

// stop removes the manifest and waits for the kubelet to stop the static pod
// and remove its mirror pod.
func (sp *staticPodTest) stop(ctx context.Context) {
	GinkgoHelper()
	By("removing the static pod manifest")
	e2eframework.ExpectNoError(sp.pod.Remove())
	grace := 30 * time.Second
	if g := sp.pod.Pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	sp.waitGone(ctx, mirrorPodTimeout+grace, "the mirror pod stayed after its static pod's manifest was removed")
}

// get returns the mirror pod.
func (sp *staticPodTest) get(ctx context.Context) *v1.Pod {
	GinkgoHelper()
	pod, err := sp.c.CoreV1().Pods(sp.pod.Pod.Namespace).Get(ctx, sp.mirror, metav1.GetOptions{})
	e2eframework.ExpectNoError(err, "get mirror pod %s", sp.mirror)
	return pod
}

// running returns the mirror pod if it runs all its containers, is a valid
// mirror pod, and is not the one with oldUID.
func (sp *staticPodTest) running(ctx context.Context, oldUID types.UID) (*v1.Pod, error) {
	pod, err := sp.c.CoreV1().Pods(sp.pod.Pod.Namespace).Get(ctx, sp.mirror, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get mirror pod: %w", err)
	}
	if oldUID != "" && pod.UID == oldUID {
		return nil, fmt.Errorf("mirror pod %s is still the old one, uid %s", pod.Name, pod.UID)
	}
	if pod.Status.Phase != v1.PodRunning {
		return nil, fmt.Errorf("mirror pod %s is %s, not Running", pod.Name, pod.Status.Phase)
	}
	if len(pod.Status.ContainerStatuses) != len(pod.Spec.Containers) {
		return nil, fmt.Errorf("mirror pod %s has the status of %d containers, not %d", pod.Name, len(pod.Status.ContainerStatuses), len(pod.Spec.Containers))
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running == nil {
			return nil, fmt.Errorf("container %s of mirror pod %s is not running: %+v", cs.Name, pod.Name, cs.State)
		}
	}
	if err := framework.CheckMirrorPod(ctx, sp.c, pod, e2eframework.TestContext.NodeName); err != nil {
		return nil, err
	}
	return pod, nil
}

// waitRunning waits for the mirror pod to run (a new one if oldUID is set),
// failing with message after mirrorPodTimeout.
func (sp *staticPodTest) waitRunning(ctx context.Context, oldUID types.UID, message string) *v1.Pod {
	GinkgoHelper()
	By(fmt.Sprintf("waiting for the mirror pod %s to run", sp.mirror))
	return sp.waitRunningWithin(ctx, oldUID, mirrorPodTimeout, message)
}

// waitRunningWithin is waitRunning with a timeout.
func (sp *staticPodTest) waitRunningWithin(ctx context.Context, oldUID types.UID, timeout time.Duration, message string) *v1.Pod {
	GinkgoHelper()
	var pod *v1.Pod
	framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) (err error) {
		pod, err = sp.running(ctx, oldUID)
		return err
	}).WithTimeout(timeout).WithPolling(mirrorPodPoll).Should(Succeed()), message)
	return pod
}

// waitGone waits for the mirror pod to be removed, failing with message
// after timeout.
func (sp *staticPodTest) waitGone(ctx context.Context, timeout time.Duration, message string) {
	GinkgoHelper()
	By(fmt.Sprintf("waiting for the mirror pod %s to go", sp.mirror))
	framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
		pod, err := sp.c.CoreV1().Pods(sp.pod.Pod.Namespace).Get(ctx, sp.mirror, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("get mirror pod: %w", err)
		default:
			return fmt.Errorf("mirror pod %s (uid %s) is still there, %s", pod.Name, pod.UID, pod.Status.Phase)
		}
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Succeed()), message)
}

// expectStays checks that the mirror pod with uid stays while the graceful
// container handles SIGTERM. The container exits termDelay after SIGTERM,
// which comes after the manifest changed: the mirror pod must stay for
// termDelay, less a margin, from now.
func (sp *staticPodTest) expectStays(ctx context.Context, uid types.UID, message string) {
	GinkgoHelper()
	By("checking that the mirror pod stays while the container handles SIGTERM")
	framework.FailUnless(e2eframework.Gomega().Consistently(ctx, func(ctx context.Context) error {
		pod, err := sp.c.CoreV1().Pods(sp.pod.Pod.Namespace).Get(ctx, sp.mirror, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get mirror pod: %w", err)
		}
		if pod.UID != uid {
			return fmt.Errorf("mirror pod %s was replaced: uid %s, was %s", pod.Name, pod.UID, uid)
		}
		return nil
	}).WithTimeout(termDelay-5*time.Second).WithPolling(500*time.Millisecond).Should(Succeed()), message)
}

// deleteMirrorPod deletes the mirror pod through the API with a grace period
// of graceSeconds and checks that the kubelet recreates it, without
// restarting the static pod it mirrors.
func (sp *staticPodTest) deleteMirrorPod(ctx context.Context, graceSeconds int64) {
	GinkgoHelper()
	old := sp.get(ctx)
	By(fmt.Sprintf("deleting the mirror pod through the API with a grace period of %ds", graceSeconds))
	err := sp.c.CoreV1().Pods(old.Namespace).Delete(ctx, old.Name, *metav1.NewDeleteOptions(graceSeconds))
	e2eframework.ExpectNoError(err, "delete mirror pod %s", old.Name)

	pod := sp.waitRunning(ctx, old.UID, "the mirror pod was not recreated after its deletion through the API")

	By("checking that the static pod kept running: its container is the same, not restarted")
	Expect(pod.Status.ContainerStatuses[0].ContainerID).To(Equal(old.Status.ContainerStatuses[0].ContainerID))
	Expect(pod.Status.ContainerStatuses[0].RestartCount).To(Equal(old.Status.ContainerStatuses[0].RestartCount))
}

// loopSpec is a busybox container that runs until SIGTERM, and then exits at
// once.
func loopSpec() v1.PodSpec {
	return restricted(v1.PodSpec{
		Containers: []v1.Container{framework.BusyboxContainer("busybox", `trap "exit 0" TERM; while true; do sleep 1; done`)},
	})
}

// pauseSpec is the pause container, which exits on SIGTERM.
func pauseSpec() v1.PodSpec {
	return restricted(v1.PodSpec{
		Containers: []v1.Container{{
			Name:            "pause",
			Image:           imageutils.GetPauseImageName(),
			ImagePullPolicy: v1.PullNever,
		}},
	})
}

// gracefulSpec is a busybox container with a termination grace period of
// gracePeriod that exits termDelay after it gets SIGTERM. It is ready once
// its SIGTERM handler is set.
func gracefulSpec() v1.PodSpec {
	script := fmt.Sprintf(`trap "sleep %d; exit 0" TERM; touch /ready/handler-set; while true; do sleep 1; done`, int(termDelay.Seconds()))
	grace := int64(gracePeriod.Seconds())
	c := framework.BusyboxContainer("graceful", script)
	c.VolumeMounts = []v1.VolumeMount{{Name: "ready", MountPath: "/ready"}}
	c.ReadinessProbe = &v1.Probe{
		ProbeHandler:  v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"cat", "/ready/handler-set"}}},
		PeriodSeconds: 1,
	}
	return restricted(v1.PodSpec{
		TerminationGracePeriodSeconds: &grace,
		Containers:                    []v1.Container{c},
		Volumes:                       []v1.Volume{{Name: "ready", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}},
	})
}

// restricted returns spec made to fit the restricted pod security level.
func restricted(spec v1.PodSpec) v1.PodSpec {
	GinkgoHelper()
	return e2epod.MustMixinRestrictedPodSecurity(&v1.Pod{Spec: spec}).Spec
}
