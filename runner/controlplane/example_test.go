package controlplane_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/node-test/node-test/runner/controlplane"
)

// Start a control plane, list namespaces through the insecure endpoint, and
// stop it. Like etcd's embed example, it blocks until the server is ready
// and reports later failures on Err.
func Example() {
	cfg := controlplane.NewConfig()
	cfg.InsecureAddress = "127.0.0.1:0" // 127.0.0.1:8080 unless changed
	cfg.SecurePort = 0                  // kernel-chosen
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))

	cp, err := controlplane.New(cfg)
	if err != nil {
		log.Print(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cp.Start(ctx); err != nil {
		log.Print(err) // errors.Is(err, controlplane.ErrAddressInUse) when a port is taken
		return
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			log.Print(err)
		}
	}()

	client, err := kubernetes.NewForConfig(&rest.Config{Host: cp.InsecureURL()})
	if err != nil {
		log.Print(err)
		return
	}
	namespaces, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		log.Print(err)
		return
	}
	fmt.Println(len(namespaces.Items) > 0, cp.KubeconfigPath())

	select {
	case err := <-cp.Err():
		log.Printf("control plane failed: %v", err)
	case <-time.After(time.Second): // the real program would run its suites here
	}
}
