package framework

import (
	"context"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	imageutils "k8s.io/kubernetes/test/utils/image"
)

// RuntimeClassName is the name of the RuntimeClass node-test creates for
// the runtime handler given with --runtime-handler, if any.
func RuntimeClassName() string {
	if NodeContext.RuntimeHandler == "" {
		return ""
	}
	// Of this node's (when --node-name names it, as node-test run does):
	// runs of several nodes of a cluster at once must not delete each
	// other's.
	name := "node-test-" + NodeContext.RuntimeHandler
	if node := NodeContext.GivenNodeName; node != "" {
		name += "-" + node
	}
	if len(name) > 253 {
		name = strings.TrimRight(name[:253], ".-")
	}
	return strings.ToLower(name)
}

// UseRuntimeHandler makes the pod run with the runtime handler under test,
// if --runtime-handler was given, and returns it. node-test's own specs
// call it on every pod they certify the node with; the pods that observe
// the node from the side run with the node's default handler.
func UseRuntimeHandler(pod *v1.Pod) *v1.Pod {
	if name := RuntimeClassName(); name != "" {
		pod.Spec.RuntimeClassName = &name
	}
	return pod
}

// CreateRuntimeClass creates the RuntimeClass of the runtime handler under
// test, if any. It is there already if an interrupted run left it.
func CreateRuntimeClass(ctx context.Context) error {
	name := RuntimeClassName()
	if name == "" {
		return nil
	}
	c, err := NewClient()
	if err != nil {
		return err
	}
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Handler: NodeContext.RuntimeHandler}
	_, err = c.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create RuntimeClass %s for runtime handler %s: %w", name, NodeContext.RuntimeHandler, err)
	}
	return nil
}

// DeleteRuntimeClass deletes the RuntimeClass CreateRuntimeClass created.
func DeleteRuntimeClass(ctx context.Context) error {
	name := RuntimeClassName()
	if name == "" {
		return nil
	}
	c, err := NewClient()
	if err != nil {
		return err
	}
	err = c.NodeV1().RuntimeClasses().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete RuntimeClass %s: %w", name, err)
	}
	return nil
}

// BusyboxPod is a pod called name of containers, each of them running the
// busybox image, never pulled, with the runtime handler under test.
func BusyboxPod(name string, containers ...v1.Container) *v1.Pod {
	for i := range containers {
		containers[i].Image = imageutils.GetE2EImage(imageutils.BusyBox)
		containers[i].ImagePullPolicy = v1.PullNever
	}
	return UseRuntimeHandler(&v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PodSpec{Containers: containers}})
}

// BusyboxContainer is a busybox container called name, never pulled, that
// runs script with sh -c.
func BusyboxContainer(name, script string) v1.Container {
	return v1.Container{
		Name:            name,
		Image:           imageutils.GetE2EImage(imageutils.BusyBox),
		ImagePullPolicy: v1.PullNever,
		Command:         []string{"sh", "-c", script},
	}
}
