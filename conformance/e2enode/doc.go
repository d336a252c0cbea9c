// Package e2enode is upstream's node suite, test/e2e_node of the pinned
// k8s.io/kubernetes module, as a package the conformance binary can link:
// its specs (199 of them [NodeConformance]) live in _test.go files that no
// other module can import.
//
// node-test's build (build/build.sh) lays every Go file of that directory,
// but for its suite file e2e_node_suite_test.go, into this directory through
// go's -overlay, each _test.go file under its name without _test, and builds
// with the tag e2enode. Nothing of upstream's is copied into the repository
// or edited: the specs run with their own texts, labels and assertions.
//
// What upstream's suite file declares for the package's other files, and
// what its SynchronizedBeforeSuite sets up that the specs rely on, is in
// suite.go, node-test's own; Setup is what the conformance binary calls in
// every parallel process. Built without the overlay (go vet ./..., go test
// ./...), the package holds only stub.go, and Linked is false.
package e2enode
