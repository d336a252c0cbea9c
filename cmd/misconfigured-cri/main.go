// Command misconfigured-cri is the CRI endpoint of the local node broken on
// purpose (make node-up CRI_PROXY=misconfigured): it forwards every call to
// the node's runtime but answers ReopenContainerLog itself, so the runtime
// keeps writing a container's log into the file the kubelet rotated away.
//
//	misconfigured-cri <listen socket> <runtime socket>
//
// It serves until SIGTERM or SIGINT. A test fixture, not part of node-test.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/node-test/node-test/internal/criproxy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "misconfigured-cri:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: misconfigured-cri <listen socket> <runtime socket>")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	p, err := criproxy.New(log, args[0], args[1], criproxy.ReopenContainerLog)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Info("serving", slog.String("socket", args[0]), slog.String("runtime", args[1]), slog.String("breaks", criproxy.ReopenContainerLog))
	select {
	case <-ctx.Done():
		return p.Stop()
	case err := <-p.Err():
		return fmt.Errorf("serve on %s: %w", args[0], err)
	}
}
