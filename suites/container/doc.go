// Package container holds node-test's specs of what a pod spec promises,
// observed from inside the container: the security context (Pod Security's
// restricted level, capabilities, user and group ids), the resource limits
// as the cgroup values the kubelet must set, the hostname, the mounts and
// their read-only flags, and sysctls. Each spec runs a pod that prints what
// its container sees of itself (/proc/self/status, /proc/self/mountinfo, its
// cgroup files) and checks it against the spec, so a node whose runtime or
// kubelet drops a setting the API accepted fails a named spec.
//
// It holds specs only, in non-test files, one top-level Describe per file;
// the helpers they share live in suites/framework. It never imports the
// runner.
package container
