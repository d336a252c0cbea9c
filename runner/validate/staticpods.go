package validate

import (
	"errors"
	"fmt"

	"github.com/node-test/node-test/runner/host"
)

// ErrNoStaticPodDir means the kubelet has no static pod directory.
var ErrNoStaticPodDir = errors.New("the kubelet has no static pod directory")

// StaticPodDir is the host's kubelet's static pod directory ($CONFIG_DIR):
// staticPodPath in its config file, or its --pod-manifest-path flag.
func StaticPodDir(h *host.Host) (string, error) {
	n := inspect(h)
	if n.kubelet == nil {
		if n.processesErr != nil {
			return "", fmt.Errorf("find the kubelet: %w", n.processesErr)
		}
		return "", errors.New("find the kubelet: no kubelet process on the host")
	}
	k := n.kubelet
	if p := k.flags["pod-manifest-path"]; p != "" {
		return p, nil
	}
	if k.configErr != nil {
		return "", fmt.Errorf("read the kubelet's config %s: %w", k.configPath, k.configErr)
	}
	if k.config != nil && k.config.StaticPodPath != "" {
		return k.config.StaticPodPath, nil
	}
	return "", fmt.Errorf("%w (no staticPodPath in its config, no --pod-manifest-path)", ErrNoStaticPodDir)
}
