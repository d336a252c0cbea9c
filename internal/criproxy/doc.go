// Package criproxy serves a CRI endpoint in front of a container runtime's
// socket and forwards every gRPC call to it unchanged (CRI's RuntimeService
// and ImageService, and whatever else the runtime serves there, such as
// containerd's own API), metadata, headers, trailers and status included.
//
// It owns one thing besides: the calls it is told to break, so that a node
// can be broken on purpose in a way no runc wrapper reaches, because the
// runtime's CRI server does it. Break ReopenContainerLog, and the proxy
// answers the kubelet's ReopenContainerLog with success without asking the
// runtime: the runtime goes on writing a container's log into the file the
// kubelet has just rotated away. It is a test fixture of the local node
// (cmd/misconfigured-cri, make e2e-misconfigured), never part of a run.
package criproxy
