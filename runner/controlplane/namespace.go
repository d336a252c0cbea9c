package controlplane

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	namespacecontroller "k8s.io/kubernetes/pkg/controller/namespace"
)

const (
	nsControllerName   = "namespace-controller"
	nsControllerResync = 5 * time.Minute
	// kube-controller-manager's default --concurrent-namespace-syncs: the
	// specs delete their namespaces as they end, 8 or more at a time.
	nsControllerWorkers = 10
)

// startNamespaceController runs the namespace controller (which empties and
// then removes deleted namespaces) until ctx ends, as upstream's
// test/e2e_node/services/namespace_controller.go does. The returned channel
// is closed once the controller and its informers have stopped.
func startNamespaceController(ctx context.Context, base *rest.Config) (<-chan struct{}, error) {
	cfg := rest.AddUserAgent(rest.CopyConfig(base), nsControllerName)
	// The controller makes a list and a delete call per resource type of
	// each namespace, about a hundred: to the API server in this process,
	// which only it and the specs use, unthrottled (at 50 requests a second
	// it removed 0.8 namespaces a second, fewer than a run's specs leave).
	cfg.QPS = -1
	client, err := clientset.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create namespace controller client: %w", err)
	}
	metadataClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create namespace controller metadata client: %w", err)
	}
	factory := informers.NewSharedInformerFactory(client, nsControllerResync)
	nc := namespacecontroller.NewNamespaceController(
		ctx,
		client,
		metadataClient,
		client.Discovery().ServerPreferredNamespacedResources,
		factory.Core().V1().Namespaces(),
		nsControllerResync,
		v1.FinalizerKubernetes,
	)
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc.Run(ctx, nsControllerWorkers)
		factory.Shutdown()
	}()
	return done, nil
}
