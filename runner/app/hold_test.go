package app

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/cluster"
)

// A run that ends holds its report until its context ends (the pod
// deleted); one that was interrupted holds it until the second signal (the
// abort context), node-test cluster collecting it meanwhile.
func TestHold(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hold(ctx, &out, nil); close(done) }()
	select {
	case <-done:
		t.Fatal("hold returned before its context ended")
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	<-done
	if got, want := out.String(), cluster.ReadyMarker+"0\n"; got != want {
		t.Errorf("hold printed %q, want %q", got, want)
	}

	out.Reset()
	interrupted, interrupt := context.WithCancel(context.Background())
	interrupt()
	abort, abortNow := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { hold(runner.WithAbort(interrupted, abort), &out, runner.ErrSpecsFailed); close(done) }()
	select {
	case <-done:
		t.Fatal("an interrupted run's hold returned before the second signal")
	case <-time.After(200 * time.Millisecond):
	}
	abortNow()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("an interrupted run's hold did not return on the second signal")
	}
	if got, want := out.String(), cluster.ReadyMarker+"1\n"; got != want {
		t.Errorf("hold printed %q, want %q", got, want)
	}
}
