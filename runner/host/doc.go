// Package host owns every access node-test makes to the host it certifies,
// through the host's root filesystem mounted at a rootfs path (/rootfs in
// the container, / on the host): files, the container runtime's socket, and
// commands run on the host through the Cmder seam.
//
// Nothing outside this package builds a path under the rootfs. It does not
// judge what it reads: validation and the phases of a run decide.
package host
