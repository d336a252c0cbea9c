// Command pause is the infrastructure container of every pod sandbox in the
// images node-test carries.
//
// It holds the pod's namespaces open and does nothing else: it sleeps until
// SIGINT or SIGTERM and, as PID 1 of a shared PID namespace, reaps every child
// re-parented to it. It is written in Go rather than C so that it
// cross-compiles statically for every architecture node-test ships with no
// cross C toolchain.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const version = "node-test-pause-1.0"

func main() {
	for _, a := range os.Args[1:] {
		if a == "-v" {
			fmt.Println("pause", version)
			return
		}
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: warning: not running as PID 1")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			fmt.Fprintf(os.Stderr, "pause: shutting down, got signal %v\n", sig)
			return
		}
		reap()
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
