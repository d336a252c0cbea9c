// Package refs names the test images node-test builds for its own specs,
// those no release of the e2e framework lists: the specs refer to an image
// by its constant here, package images builds and loads it under that
// reference, and images/internal/genusedby finds which spec packages need
// it from the constants they use. It holds nothing else, so that the
// conformance binary links no image-building code.
//
// The registry host, node-test.invalid, resolves nowhere (RFC 2606): an
// image of it reaches a node only through node-test's own load, never a
// pull.
package refs

// ImageConfig is busybox with an image configuration of its own: a working
// directory, a non-root user and group, environment variables, and an
// entrypoint and command that print what the container's process got.
const ImageConfig = "node-test.invalid/e2e/image-config:1.0"
