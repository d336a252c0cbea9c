package framework

import (
	"context"
	"fmt"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	remote "k8s.io/cri-client/pkg"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
)

// podNamespaceLabel is the label the kubelet puts on every sandbox and
// container it creates through CRI: the namespace of their pod.
const podNamespaceLabel = "io.kubernetes.pod.namespace"

// RuntimeService dials the node's runtime over CRI, at the endpoint the
// framework was given (--container-runtime-endpoint), as the kubelet does.
func RuntimeService(ctx context.Context) (internalapi.RuntimeService, error) {
	endpoint := e2eframework.TestContext.ContainerRuntimeEndpoint
	r, err := remote.NewRemoteRuntimeService(ctx, endpoint, 30*time.Second, nil, false)
	if err != nil {
		return nil, fmt.Errorf("dial the runtime's CRI endpoint %s: %w", endpoint, err)
	}
	return r, nil
}

// RuntimeObjects lists what the runtime holds of the pods of namespace ns:
// their sandboxes and containers, each named with its state.
type RuntimeObjects struct {
	Sandboxes  []string
	Containers []string
	// Running counts the sandboxes ready and the containers running.
	Running int
}

// Empty reports whether the runtime holds nothing of the namespace.
func (o RuntimeObjects) Empty() bool { return len(o.Sandboxes)+len(o.Containers) == 0 }

// ListRuntimeObjects lists, through CRI, the sandboxes and containers the
// runtime holds of the pods of namespace ns.
func ListRuntimeObjects(ctx context.Context, r internalapi.RuntimeService, ns string) (RuntimeObjects, error) {
	var out RuntimeObjects
	labels := map[string]string{podNamespaceLabel: ns}
	sandboxes, err := r.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: labels})
	if err != nil {
		return out, fmt.Errorf("list the runtime's pod sandboxes: %w", err)
	}
	for _, sb := range sandboxes {
		out.Sandboxes = append(out.Sandboxes, fmt.Sprintf("sandbox %s (%s)", sb.GetMetadata().GetName(), sb.GetState()))
		if sb.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
			out.Running++
		}
	}
	containers, err := r.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: labels})
	if err != nil {
		return out, fmt.Errorf("list the runtime's containers: %w", err)
	}
	for _, c := range containers {
		out.Containers = append(out.Containers, fmt.Sprintf("container %s of %s (%s)",
			c.GetMetadata().GetName(), c.GetLabels()["io.kubernetes.pod.name"], c.GetState()))
		if c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
			out.Running++
		}
	}
	return out, nil
}
