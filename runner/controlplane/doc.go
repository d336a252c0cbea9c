// Package controlplane runs a local Kubernetes control plane inside the
// node-test process: an embedded etcd, a kube-apiserver and a namespace
// controller, plus a plain-HTTP endpoint (http://127.0.0.1:8080 by default)
// through which the node's kubelet and the conformance specs reach the API
// as cluster admin.
//
// The package owns:
//   - the lifecycle, shaped like etcd's embed package: New checks the
//     Config, Start returns once the apiserver is ready, Stop tears down in
//     a documented order, and Err reports a component that dies later;
//   - a private 0700 run directory per control plane, holding a fresh CA, the
//     apiserver's serving certificate (127.0.0.1, localhost and the
//     in-cluster names), the apiserver→kubelet client certificate, a
//     service-account key pair, the static token file, the etcd data and a
//     kubeconfig for the insecure endpoint;
//   - etcd's clients served on a unix socket in the 0700 run directory, its
//     peer on a kernel-chosen loopback port (never 2379/2380), the apiserver's
//     secure port on 127.0.0.1 (Config.SecurePort), and the insecure
//     endpoint, which is loopback-only unless Config.AllowNonLoopback is set;
//   - the components' logs (etcd.log, kube-apiserver.log), kept out of the
//     user's terminal; their last lines are part of any start error.
//
// It does not own the kubelet, the container runtime or anything else on
// the host (the runner drives the host's kubelet), and it runs no scheduler, controller
// manager or pod garbage collector: pods must name their node
// (spec.nodeName), no service-account tokens are minted automatically, and a
// pod bound to a node without a running kubelet is removed only when its
// grace period is zero or it is force-deleted.
//
// # Process-wide state
//
// The apiserver is a library with global state (klog, feature gates,
// metrics registries, informer names). One control plane may run per
// process at a time; a second concurrent Start fails cleanly (after the
// address checks, before touching any global). Once one has
// stopped, a new one can be created and started in the same process (the
// integration tests do so). While a control plane runs:
//   - klog output (the apiserver's, client-go's) goes to kube-apiserver.log
//     only; Stop sends it back to stderr;
//   - klog.OsExit is replaced, so a fatal log line inside the apiserver (it
//     logs one when a post-start hook fails) fails the control plane through
//     Start's error or Err instead of exiting the process; Stop restores it.
//
// Two leaks remain that this package cannot plug: the apiserver's etcd
// client logs warnings to stderr through a package-level logger (seen, rarely,
// as "retrying of unary invoker failed ... context canceled" during Stop), and
// a panic in an apiserver goroutine still ends the process.
//
// # Addresses
//
// Start binds the insecure address and the secure port before it starts
// anything else. If one is taken, Start fails within milliseconds with an
// error that matches ErrAddressInUse and, when /proc tells, names the
// process holding it:
//
//	bind insecure endpoint: 127.0.0.1:8080 is in use by pid 123 (nginx)
//
// Port 0 in either address picks a free port; InsecureURL and SecureURL
// report the real ones.
//
// # Authentication
//
// Every request through the insecure endpoint is sent to the apiserver with
// the per-run admin token (AdminToken), whatever credentials the client
// sent. On the secure port the apiserver accepts that token, Config.BearerToken
// if set (the upstream e2e_node arrangement: a kubelet pointed at
// https://127.0.0.1:6443 with insecure TLS and a token), and client
// certificates signed by the CA. Authorization is AlwaysAllow.
//
// To kubelets (logs, exec, port forwarding, the node proxy) the apiserver
// presents a per-run client certificate of the same CA, or
// Config.KubeletClientCert, one the kubelet's own client CA signed, or
// nothing with Config.NoKubeletClientCert.
//
// See the package example for a minimal program.
package controlplane
