// Package validate owns node-test's system verification: the checks that
// decide whether a host is fit to be certified, each reported on its own as
// a Check with a verdict (pass, warn, fail, not applicable), a message and,
// for a failure, the fix.
//
// Run inspects the host once through its root filesystem (runner/host) and
// runs every host check, never stopping at the first failure:
//
//   - system: the OS, the kernel release and config, cgroup version and
//     controllers, against the requirements of k8s.io/system-validators'
//     DefaultSysSpec (the spec the pinned Kubernetes uses);
//   - runtime: the CRI runtime serving the node, its readiness and its
//     cgroup driver against the kubelet's;
//   - kubelet: the kubelet process found in the host's process table, its
//     flags, config file and kubeconfig, against what the node conformance
//     documentation requires (no cloud provider, at most 110 pods, the local
//     control plane as API server);
//   - pki: the kubelet's client and serving certificates, against the
//     Kubernetes "PKI certificates and requirements".
//
// CheckZones judges the Node object's topology labels; it is separate
// because the Node exists only once the control plane runs.
//
// The library's validators read the real / (uname, /proc/mounts,
// /sys/fs/cgroup) and some write to it (the cgroup v2 freezer probe creates a
// cgroup); this package uses only their spec types and DefaultSysSpec, and
// reads the host itself through the rootfs, without side effects.
//
// The package does not start, stop or change anything on the host, and does
// not decide exit codes or write reports: runner/app does, through
// Check.Case and results.
package validate
