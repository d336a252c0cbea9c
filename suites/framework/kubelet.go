package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clientset "k8s.io/client-go/kubernetes"
	kubeletconfig "k8s.io/kubelet/config/v1beta1"
)

// ErrKubeletRefused means the kubelet refused the API server's requests to
// its endpoints (nodes/<name>/proxy): it neither lets anonymous requests in
// nor trusts the certificate the local control plane presents.
var ErrKubeletRefused = errors.New("the kubelet refuses the local control plane's requests to its endpoints " +
	"(let it serve anonymous requests, authentication.anonymous.enabled: true, or give node-test a client certificate " +
	"its client CA signed with --kubelet-client-cert and --kubelet-client-key)")

// KubeletGet gets path from the node's kubelet through the API server's
// node proxy: what kubectl get --raw /api/v1/nodes/<node>/proxy/<path> gets.
func KubeletGet(ctx context.Context, c clientset.Interface, node, path string) ([]byte, error) {
	raw, err := c.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", node, "proxy", strings.TrimPrefix(path, "/")).DoRaw(ctx)
	switch {
	case apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err):
		return nil, fmt.Errorf("get %s from the kubelet of node %s: %w: %v", path, node, ErrKubeletRefused, err)
	case err != nil:
		return nil, fmt.Errorf("get %s from the kubelet of node %s: %w", path, node, err)
	}
	return raw, nil
}

// KubeletConfig returns the node's kubelet configuration, from its /configz.
func KubeletConfig(ctx context.Context, c clientset.Interface, node string) (*kubeletconfig.KubeletConfiguration, error) {
	raw, err := KubeletGet(ctx, c, node, "configz")
	if err != nil {
		return nil, err
	}
	var configz struct {
		KubeletConfig *kubeletconfig.KubeletConfiguration `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(raw, &configz); err != nil {
		return nil, fmt.Errorf("decode the kubelet's /configz: %w", err)
	}
	if configz.KubeletConfig == nil {
		return nil, fmt.Errorf("the kubelet's /configz has no kubeletconfig: %.200s", raw)
	}
	return configz.KubeletConfig, nil
}
