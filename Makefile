# node-test: certify a Kubernetes node. `make help` lists the targets; each
# non-trivial one runs a script in build/.
SHELL := /bin/bash
ARCH ?= amd64
export WITH_DOCKER ?= 0

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build node-test, conformance.test, ginkgo, kubelet and crictl into _output/bin/
	build/build.sh all

cross: ## cross-compile node-test, conformance.test and ginkgo for ARCH=amd64|arm|arm64
	build/build.sh cross $(ARCH)

test: ## run the test suite: unit tests and integration tests against the local node
	build/test.sh

node-up: ## bring up the local node (containerd, CNI, kubelet; WITH_DOCKER=1 adds dockerd)
	build/node-up.sh

node-down: ## stop what node-up started and remove the pods it ran
	build/node-down.sh

run: ## bring up the local node if needed, build, and certify it; results in _output/results/
	build/run.sh

e2e: ## run a focused selection of official and own specs against the local node through the runner, test images removed first
	build/e2e.sh

e2e-misconfigured: ## upstream's node specs fail, saying what they found, with the misconfigured handler as the runtime's default; the log rotation spec fails behind a CRI endpoint that does not reopen logs; then back
	build/e2e-misconfigured.sh

e2e-node-capacity: ## the NodeCapacity spec with the kubelet's maxPods at 20: it passes, refusing pod 21; with a runtime 3 s slower per container it fails on startup latency
	build/e2e-node-capacity.sh

e2e-cluster: ## node-test cluster on two nodes of this machine (node-up NODES=2) behind the local control plane with RBAC: both pass with MirrorPod and KubeletEndpoints specs, then the second fails with the misconfigured handler; nothing left in the cluster
	build/e2e-cluster.sh

e2e-kubelet-skew: ## make e2e against the oldest supported kubelet (KUBELET_VERSION=v1.34.4, built from its module), then v1.35.4, then back
	build/e2e-kubelet-skew.sh

image: ## build the node-test image for ARCH with Docker (a daemon must run: make node-up WITH_DOCKER=1)
	build/image.sh docker $(ARCH)

e2e-kubelet-auth: ## specs reaching the kubelet's API on a kubelet secured as kubeadm does (client certificates, no anonymous requests), then back
	build/e2e-kubelet-auth.sh

image-e2e: ## run the image as documented (docker run --privileged -v /:/rootfs ...) against the local node
	build/image-e2e.sh

image-oci: ## build the amd64, arm and arm64 images and their index without a daemon into _output/oci/
	build/image.sh oci

bench: ## benchmarks: control plane time-to-ready and RSS, image build/load times and sizes, the node's capacity (110 pods) and startup latency, the API server's load of one node's certification and of 5000 (node-test cluster)
	build/bench.sh

bench-upstream: ## node-test against upstream's node-test image on the local node, same kubelet and selection: wall times, ratio, differing verdicts (make node-up WITH_DOCKER=1 first)
	build/bench-upstream.sh

verify: ## gofmt, go vet, go.mod tidiness, script and Dockerfile checks
	build/verify.sh

clean: ## remove _output/ (stop the node first with make node-down)
	rm -rf _output

.PHONY: help build cross test node-up node-down run e2e e2e-misconfigured e2e-node-capacity e2e-cluster e2e-kubelet-skew e2e-kubelet-auth image image-e2e image-oci bench bench-upstream verify clean
