// Package runtime holds node-test's specs of what the container runtime
// promises a pod, observed through a real pod on the real kubelet rather
// than through CRI with the kubelet stopped, as critest (cri-tools'
// validation suite) checks them: the namespaces a pod shares with the host
// and among its containers, mount propagation, the DNS and hosts files and
// host ports the runtime sets up, seccomp profiles, the limits a
// container's process starts with, and its log, rotated by the kubelet and
// reopened by the runtime. Each spec looks from inside the
// container, from the host (a privileged observer pod in the host's PID
// namespace), or at the kubelet, and fails naming the promise broken.
//
// It holds specs only, in non-test files, one top-level Describe per file;
// the helpers they share with other spec packages live in suites/framework.
// It never imports the runner.
package runtime
