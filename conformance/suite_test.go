package conformance

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2econfig "k8s.io/kubernetes/test/e2e/framework/config"

	// The official node specs of the pinned release.
	_ "k8s.io/kubernetes/test/e2e/common/node"
	_ "k8s.io/kubernetes/test/e2e/common/storage"

	_ "k8s.io/kubernetes/test/e2e/framework/debug/init"
	_ "k8s.io/kubernetes/test/e2e/framework/node/init"

	"github.com/node-test/node-test/conformance/e2enode"
	"github.com/node-test/node-test/results"
	_ "github.com/node-test/node-test/suites/capacity"
	_ "github.com/node-test/node-test/suites/container"
	"github.com/node-test/node-test/suites/framework"
	// The specs that took longest on the node start first (--spec-durations).
	_ "github.com/node-test/node-test/suites/framework/priority"
	_ "github.com/node-test/node-test/suites/node"
	_ "github.com/node-test/node-test/suites/runtime"
)

// reportDir is the framework's --report-dir, taken over so that the report
// is written once, by results.WriteJUnit.
var reportDir string

// flagsErr is why the node flags could not be completed (a token file
// that cannot be read): the suite fails at once with it.
var flagsErr error

// progressFile is where each process appends the start and the end of each
// spec it runs (--progress-file), for the runner to follow.
var progressFile string

func TestMain(m *testing.M) {
	e2econfig.CopyFlags(e2econfig.Flags, flag.CommandLine)
	e2eframework.RegisterCommonFlags(flag.CommandLine)
	framework.RegisterNodeFlags(flag.CommandLine)
	flag.StringVar(&progressFile, "progress-file", "", "append a JSON line to this file when a selected spec starts and when it ends (node-test run follows them)")
	flag.Parse()
	flagsErr = framework.CompleteFlags()
	reportDir = e2eframework.TestContext.ReportDir
	e2eframework.TestContext.ReportDir = ""
	e2eframework.AfterReadingAllFlags(&e2eframework.TestContext)
	e2eframework.TestContext.ReportDir = reportDir
	m.Run()
}

// hostGiven reports whether --host was set: the suite only runs against an
// API server someone named.
func hostGiven() bool {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "host" })
	return given
}

func TestConformance(t *testing.T) {
	if !hostGiven() {
		t.Skip("the conformance suite runs against a node: node-test run, or conformance.test --host=http://localhost:8080")
	}
	if flagsErr != nil {
		t.Fatal(flagsErr)
	}
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := e2eframework.CreateGinkgoConfig()
	// Registered here, not at package level: upstream's
	// AfterReadingAllFlags previews the specs (ginkgo.PreviewSpecs, a dry
	// run), after which ginkgo runs no report node declared before it.
	ReportBeforeEach(progressStart)
	ReportAfterEach(progressEnd)
	RunSpecs(t, results.SpecSuite, suiteConfig, reporterConfig)
}

// The progress stream: a spec the selection left out is reported skipped
// before it would start, and is not one of the run's; a dry run reports
// nothing.
func progressStart(r SpecReport) {
	if progressFile == "" || r.State == types.SpecStateSkipped || dryRun() {
		return
	}
	reportProgress(results.ProgressEvent{Event: results.ProgressStart, Spec: r.FullText(), Area: area(r), Process: r.ParallelProcess, Time: time.Now()})
}

func progressEnd(r SpecReport) {
	if progressFile == "" || (r.State == types.SpecStateSkipped && r.Failure.Message == "") || dryRun() {
		return
	}
	e := results.ProgressEvent{Event: results.ProgressEnd, Spec: r.FullText(), Area: area(r), Process: r.ParallelProcess, Time: time.Now(),
		State: results.StatusPassed, Seconds: r.RunTime.Seconds()}
	switch {
	case r.State.Is(types.SpecStateFailureStates):
		e.State, e.Message = results.StatusFailed, firstLine(r.Failure.Message)
	case r.State == types.SpecStateSkipped:
		e.State = results.StatusSkipped
	}
	reportProgress(e)
}

func dryRun() bool {
	c, _ := GinkgoConfiguration()
	return c.DryRun
}

// The first process creates what the specs share and learns the node's
// facts, once; every process sets itself up from those facts.
var _ = SynchronizedBeforeSuite(func(ctx context.Context) []byte {
	Expect(framework.CreateRuntimeClass(ctx)).To(Succeed())
	facts, err := framework.FetchNodeFacts(ctx)
	Expect(err).NotTo(HaveOccurred(), "learn the node's facts")
	return facts
}, func(ctx context.Context, facts []byte) {
	Expect(framework.SetupNode(facts)).To(Succeed(), "set up the test context for the node")
	Expect(e2enode.Setup(ctx)).To(Succeed(), "set up upstream's node suite")
	e2eframework.Logf("node under test: %s", e2eframework.TestContext.NodeName)
})

// A spec of what the node's kubelet is too old to have skips, saying so,
// rather than fail a node the version skew policy supports. Every spec
// creates a framework of upstream's, which takes the check as an extension:
// it runs in each spec, once the framework has set up its namespace.
func init() {
	e2eframework.NewFrameworkExtensions = append(e2eframework.NewFrameworkExtensions, func(*e2eframework.Framework) {
		BeforeEach(framework.SkipForKubeletVersion)
		BeforeEach(e2enode.SkipUnrunnable)
	})
}

var _ = SynchronizedAfterSuite(func() {}, func(ctx context.Context) {
	Expect(framework.DeleteRuntimeClass(ctx)).To(Succeed())
})

func reportProgress(e results.ProgressEvent) {
	if err := results.AppendProgress(progressFile, e); err != nil {
		e2eframework.Logf("progress: %v", err)
	}
}

// area is the text of the spec's top-level container, as node-test list
// counts specs by area.
func area(r SpecReport) string {
	if len(r.ContainerHierarchyTexts) == 0 {
		return r.LeafNodeText
	}
	return r.ContainerHierarchyTexts[0]
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

var _ = ReportAfterSuite("node-test JUnit report", func(report Report) {
	if reportDir != "" {
		Expect(results.WriteJUnit(report, reportDir)).To(Succeed())
	}
})
