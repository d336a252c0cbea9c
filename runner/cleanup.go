package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// RunPods is what removing the run's pods from the node's runtime did.
type RunPods struct {
	// Removed counts the sandboxes removed, with their containers.
	Removed int
	// Left names the sandboxes of the run that stay, and why.
	Left []string
}

// RemoveRunPods removes from the node's runtime the pod sandboxes, and
// with them the containers, of the pods the run created, once the specs'
// namespaces are deleted: every sandbox created since started of a pod
// whose namespace the control plane no longer has. The kubelet has ended
// those pods (a namespace goes once its pods are gone), but leaves their
// exited containers and sandboxes to its garbage collection, a minute or
// more later — after the run. A sandbox of a test namespace still being
// deleted is left, and named; the node's own pods are not touched.
func RemoveRunPods(ctx context.Context, rc *RunContext, started time.Time) (RunPods, error) {
	var out RunPods
	r, err := rc.Host.Runtime("")
	if err != nil {
		return out, err
	}
	cri, err := rc.Host.DialCRI(r)
	if err != nil {
		return out, err
	}
	defer cri.Close()
	list, err := cri.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return out, fmt.Errorf("list the runtime's pod sandboxes: %w", err)
	}
	ours := map[string]bool{} // namespace: the run's and gone
	for _, sb := range list.GetItems() {
		if sb.GetCreatedAt() < started.UnixNano() {
			continue
		}
		ns := sb.GetMetadata().GetNamespace()
		gone, known := ours[ns]
		if !known {
			n, err := rc.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				gone = true
			case err != nil:
				return out, fmt.Errorf("namespace %s of pod sandbox %s: %w", ns, sb.GetId(), err)
			default:
				if _, test := n.Labels[testNamespaceLabel]; test {
					out.Left = append(out.Left, fmt.Sprintf("pod %s/%s (its namespace is still being deleted)", ns, sb.GetMetadata().GetName()))
				}
			}
			ours[ns] = gone
		}
		if !gone {
			continue
		}
		if err := removeSandbox(ctx, cri.Runtime, sb.GetId()); err != nil {
			out.Left = append(out.Left, fmt.Sprintf("pod %s/%s (%v)", ns, sb.GetMetadata().GetName(), err))
			continue
		}
		out.Removed++
	}
	return out, nil
}

// removeSandbox stops and removes a pod sandbox and its containers; one
// already gone (the kubelet's garbage collection got there first) is no
// error.
func removeSandbox(ctx context.Context, rs runtimeapi.RuntimeServiceClient, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("stop sandbox %s: %w", id, err)
	}
	if _, err := rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("remove sandbox %s: %w", id, err)
	}
	return nil
}

// leftOnNode is the summary's line of what the run left on the node: its
// pods, and the images it loaded — added, those the node did not hold
// before; replaced, those it loaded in place of another image of the same
// name, which stay.
func leftOnNode(pods RunPods, podsErr error, added, replaced []string, cleanup bool, imagesErr error) string {
	var parts []string
	switch {
	case podsErr != nil:
		parts = append(parts, "the run's pods: unknown, "+podsErr.Error())
	case len(pods.Left) > 0:
		parts = append(parts, fmt.Sprintf("%s of the run: %s", count(len(pods.Left), "pod"), strings.Join(pods.Left, "; ")))
	default:
		parts = append(parts, fmt.Sprintf("no pod or container of the run (%d sandboxes removed)", pods.Removed))
	}
	switch {
	case cleanup && imagesErr != nil:
		parts = append(parts, fmt.Sprintf("the images the run loaded, not all removed: %v", imagesErr))
	case cleanup && len(added) > 0:
		parts = append(parts, fmt.Sprintf("none of the %s the run loaded (CLEANUP_IMAGES)", count(len(added), "image")))
	case len(added) > 0:
		parts = append(parts, fmt.Sprintf("the %s the run loaded, which the node did not hold (CLEANUP_IMAGES=true removes them): %s",
			count(len(added), "image"), strings.Join(added, ", ")))
	case len(replaced) == 0:
		parts = append(parts, "no image the run loaded (the node held them all)")
	}
	if len(replaced) > 0 {
		parts = append(parts, fmt.Sprintf("the %s the run loaded in place of the node's older ones of the same names: %s",
			count(len(replaced), "image"), strings.Join(replaced, ", ")))
	}
	return strings.Join(parts, "; ")
}

// count is "1 noun" or "n nouns".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
