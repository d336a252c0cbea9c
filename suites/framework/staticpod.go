package framework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
	kubetypes "k8s.io/kubernetes/pkg/kubelet/types"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	"sigs.k8s.io/yaml"
)

// StaticPodFilePrefix starts the name of every manifest node-test's specs
// write in the kubelet's static pod directory, so that one left behind by an
// interrupted run is recognised (see RemoveStaleStaticPods).
const StaticPodFilePrefix = "node-test-"

// ErrNoStaticPodDir means the conformance binary was not told where the
// kubelet's static pod directory is: the specs that need it skip.
var ErrNoStaticPodDir = errors.New("the kubelet's static pod directory is not known: pass --static-pod-dir (docker run: -v $CONFIG_DIR:$CONFIG_DIR)")

// mountHint ends every error about a static pod directory the specs cannot use.
const mountHint = "mount the kubelet's static pod directory at the same path: -v $CONFIG_DIR:$CONFIG_DIR"

// processStart is when this conformance process started: a namespace created
// well before it belongs to an earlier run.
var processStart = time.Now()

// StaticPodDir returns the kubelet's static pod directory (--static-pod-dir)
// once it has checked that the specs can write in it. It returns
// ErrNoStaticPodDir when the directory was not given, and an error naming the
// mount to fix when it was given but is not a writable directory here.
func StaticPodDir() (string, error) {
	dir := NodeContext.StaticPodDir
	if dir == "" {
		return "", ErrNoStaticPodDir
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("static pod directory %q is not an absolute path: pass the kubelet's staticPodPath as it is on the host, and %s", dir, mountHint)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("static pod directory: %w: %s", err, mountHint)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("static pod directory %s is not a directory: %s", dir, mountHint)
	}
	// The kubelet ignores files whose name starts with a dot.
	probe, err := os.CreateTemp(dir, "."+StaticPodFilePrefix+"probe-*")
	if err != nil {
		return "", fmt.Errorf("static pod directory %s is not writable from the specs: %w: %s", dir, err, mountHint)
	}
	_ = probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return "", fmt.Errorf("remove the probe file %s: %w", probe.Name(), err)
	}
	return dir, nil
}

// StaticPod is a pod the kubelet runs from a manifest in its static pod
// directory, and mirrors into the API server.
type StaticPod struct {
	// Dir is the kubelet's static pod directory.
	Dir string
	// Pod is the manifest: name, namespace and spec. The kubelet sets the
	// node name.
	Pod *v1.Pod
}

// NewStaticPod returns the static pod name in namespace, running spec, with
// its manifest in dir.
func NewStaticPod(dir, namespace, name string, spec v1.PodSpec) *StaticPod {
	return &StaticPod{
		Dir: dir,
		Pod: &v1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
			Spec:       spec,
		},
	}
}

// Path is the manifest's file: <dir>/node-test-<namespace>-<name>.yaml.
func (s *StaticPod) Path() string {
	return filepath.Join(s.Dir, StaticPodFilePrefix+s.Pod.Namespace+"-"+s.Pod.Name+".yaml")
}

// MirrorPodName is the name of the pod by which the kubelet on nodeName
// shows the static pod in the API: <name>-<nodeName>.
func (s *StaticPod) MirrorPodName(nodeName string) string {
	return s.Pod.Name + "-" + nodeName
}

// Write writes the manifest, or replaces it, so that the kubelet never reads
// a partial one: a hidden temporary file (ignored by the kubelet) renamed
// into place.
func (s *StaticPod) Write() error {
	data, err := yaml.Marshal(s.Pod)
	if err != nil {
		return fmt.Errorf("encode static pod %s/%s: %w", s.Pod.Namespace, s.Pod.Name, err)
	}
	tmp, err := os.CreateTemp(s.Dir, "."+filepath.Base(s.Path())+"-*")
	if err != nil {
		return fmt.Errorf("write static pod manifest: %w: %s", err, mountHint)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.Path()); err != nil {
		return fmt.Errorf("write static pod manifest %s: %w", s.Path(), err)
	}
	e2eframework.Logf("wrote static pod manifest %s", s.Path())
	return nil
}

// Remove removes the manifest. Removing one that is gone is not an error.
func (s *StaticPod) Remove() error {
	err := os.Remove(s.Path())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove static pod manifest: %w", err)
	}
	if err == nil {
		e2eframework.Logf("removed static pod manifest %s", s.Path())
	}
	return nil
}

// CheckMirrorPod returns an error unless pod is the mirror pod of a static
// pod read from a file by the kubelet of nodeName: the kubelet's config
// annotations, with the mirror's hash matching the static pod's, the node
// name, and the Node as its controller.
func CheckMirrorPod(ctx context.Context, c clientset.Interface, pod *v1.Pod, nodeName string) error {
	hash := pod.Annotations[kubetypes.ConfigHashAnnotationKey]
	if hash == "" {
		return fmt.Errorf("mirror pod %s/%s has no %s annotation", pod.Namespace, pod.Name, kubetypes.ConfigHashAnnotationKey)
	}
	if mirror := pod.Annotations[kubetypes.ConfigMirrorAnnotationKey]; mirror != hash {
		return fmt.Errorf("mirror pod %s/%s: annotation %s is %q, want the static pod's hash %q",
			pod.Namespace, pod.Name, kubetypes.ConfigMirrorAnnotationKey, mirror, hash)
	}
	if source := pod.Annotations[kubetypes.ConfigSourceAnnotationKey]; source != kubetypes.FileSource {
		return fmt.Errorf("mirror pod %s/%s: annotation %s is %q, want %q",
			pod.Namespace, pod.Name, kubetypes.ConfigSourceAnnotationKey, source, kubetypes.FileSource)
	}
	if pod.Spec.NodeName != nodeName {
		return fmt.Errorf("mirror pod %s/%s is bound to node %q, want %q", pod.Namespace, pod.Name, pod.Spec.NodeName, nodeName)
	}
	node, err := c.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", nodeName, err)
	}
	owner := metav1.GetControllerOf(pod)
	if len(pod.OwnerReferences) != 1 || owner == nil ||
		owner.APIVersion != "v1" || owner.Kind != "Node" || owner.Name != nodeName || owner.UID != node.UID {
		return fmt.Errorf("mirror pod %s/%s: owner references %v, want only its Node %s (uid %s) as controller",
			pod.Namespace, pod.Name, pod.OwnerReferences, nodeName, node.UID)
	}
	return nil
}

// RemoveStaleStaticPods removes the manifests node-test's specs left in dir
// when a run was interrupted: those whose namespace is gone, terminating, or
// older than this process. It returns the files it removed.
func RemoveStaleStaticPods(ctx context.Context, c clientset.Interface, dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, StaticPodFilePrefix+"*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list static pod manifests: %w", err)
	}
	var removed []string
	for _, path := range paths {
		stale, err := staleStaticPod(ctx, c, path)
		if err != nil {
			return removed, err
		}
		if !stale {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("remove stale static pod manifest: %w", err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}

// staleStaticPod reports whether the node-test manifest at path belongs to no
// spec of this run.
func staleStaticPod(ctx context.Context, c clientset.Interface, path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // removed meanwhile by its spec
	}
	if err != nil {
		return false, fmt.Errorf("read static pod manifest: %w", err)
	}
	var meta metav1.PartialObjectMetadata
	if yaml.Unmarshal(data, &meta) != nil || meta.Namespace == "" {
		return false, nil // not one of ours after all, whatever its name: leave it
	}
	if !strings.HasPrefix(filepath.Base(path), StaticPodFilePrefix+meta.Namespace+"-") {
		return false, nil
	}
	ns, err := c.CoreV1().Namespaces().Get(ctx, meta.Namespace, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("get namespace of static pod manifest %s: %w", path, err)
	case ns.DeletionTimestamp != nil:
		return true, nil
	default:
		return ns.CreationTimestamp.Time.Before(processStart.Add(-time.Minute)), nil
	}
}
