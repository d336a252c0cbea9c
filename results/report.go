package results

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
)

// Status is the outcome of one testcase.
type Status string

// Statuses of a testcase. A testcase the JUnit marks "errored" (panicked,
// interrupted, timed out) counts as failed.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Case is one testcase of a report.
type Case struct {
	// Suite is the name of the testsuite the case is in.
	Suite   string
	Name    string
	Status  Status
	Message string
	Seconds float64
	// Log is what a failed spec logged (its timeline in the JUnit): the
	// framework's steps and the pods' logs it dumped.
	Log string `json:"-"`
	// Measured are the figures a spec reported (Ginkgo report entries, the
	// testcase's JUnit properties), in the order it reported them.
	Measured []Measure `json:"measured,omitempty"`
}

// Measure is one figure a spec reported: a startup latency, a count.
type Measure struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// measures reads a testcase's JUnit properties: each a report entry's name
// and the JSON of its value, shown as the value itself (a string unquoted).
func measures(p *reporters.JUnitProperties) []Measure {
	if p == nil {
		return nil
	}
	var out []Measure
	for _, prop := range p.Properties {
		v := prop.Value
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			v = s
		}
		out = append(out, Measure{Name: prop.Name, Value: v})
	}
	return out
}

// MeasuredString is a testcase's figures on one line.
func (c Case) MeasuredString() string {
	parts := make([]string, len(c.Measured))
	for i, m := range c.Measured {
		parts[i] = m.Name + " " + m.Value
	}
	return strings.Join(parts, ", ")
}

// Counts aggregates cases by status.
type Counts struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

func (c *Counts) add(s Status) {
	c.Total++
	switch s {
	case StatusPassed:
		c.Passed++
	case StatusFailed:
		c.Failed++
	case StatusSkipped:
		c.Skipped++
	}
}

func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped of %d", c.Passed, c.Failed, c.Skipped, c.Total)
}

// Suite names of the testcases the runner itself adds to the report, and of
// the specs' suite, as the conformance binary names it.
const (
	SetupSuite      = "node-test setup"
	ValidationSuite = "node-test system verification"
	SpecSuite       = "Node Conformance"
)

// Report is a run's JUnit report, read back into one model. Its methods
// may be called from several goroutines: a run interrupted writes what it
// has while its phases still add to it.
type Report struct {
	mu     sync.Mutex
	suites reporters.JUnitTestSuites
}

// Load reads dir/junit_01.xml; a missing file is an empty report. It accepts
// both a <testsuites> document and a bare <testsuite>.
func Load(dir string) (*Report, error) {
	r, err := LoadFile(filepath.Join(dir, JUnitFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Report{}, nil
	}
	return r, err
}

// LoadFile reads the JUnit report at path.
func LoadFile(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read JUnit report: %w", err)
	}

	r := &Report{}
	if err := xml.Unmarshal(b, &r.suites); err == nil {
		return r, nil
	}
	var one reporters.JUnitTestSuite
	if err := xml.Unmarshal(b, &one); err != nil {
		return nil, fmt.Errorf("parse JUnit report %s: %w", path, err)
	}
	r.suites.TestSuites = []reporters.JUnitTestSuite{one}
	return r, nil
}

// Cases lists every testcase of the report with its canonical status.
// Ginkgo's suite-level nodes that passed ([SynchronizedBeforeSuite] and the
// like) are not cases of their own.
func (r *Report) Cases() []Case {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Case
	for _, s := range r.suites.TestSuites {
		for _, tc := range s.TestCases {
			c := Case{Suite: s.Name, Name: tc.Name, Seconds: tc.Time, Status: StatusPassed, Measured: measures(tc.Properties)}
			switch {
			case tc.Failure != nil:
				c.Status, c.Message, c.Log = StatusFailed, firstNonEmpty(tc.Failure.Message, tc.Failure.Description), tc.SystemErr
			case tc.Error != nil:
				c.Status, c.Message, c.Log = StatusFailed, firstNonEmpty(tc.Error.Message, tc.Error.Description), tc.SystemErr
			case tc.Skipped != nil:
				c.Status, c.Message = StatusSkipped, tc.Skipped.Message
			case s.Name == SetupSuite || s.Name == ValidationSuite:
				// What a passed check found, or its warning (see Add).
				c.Message = tc.SystemOut
			}
			if c.Status == StatusPassed && strings.HasPrefix(tc.Name, "[") && !strings.HasPrefix(tc.Name, "[It]") &&
				strings.Contains(tc.Name, "Suite]") {
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// Counts aggregates the report's cases.
func (r *Report) Counts() Counts {
	var c Counts
	for _, tc := range r.Cases() {
		c.add(tc.Status)
	}
	return c
}

// Add records a testcase of the runner's own (a setup step or a system check)
// in suite, creating the suite when needed.
func (r *Report) Add(suite string, c Case) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tc := reporters.JUnitTestCase{Name: c.Name, Classname: suite, Status: string(c.Status), Time: c.Seconds}
	switch c.Status {
	case StatusFailed:
		tc.Failure = &reporters.JUnitFailure{Message: c.Message, Type: "failed", Description: c.Message}
		tc.SystemErr = c.Log
	case StatusSkipped:
		tc.Skipped = &reporters.JUnitSkipped{Message: c.Message}
	default:
		if c.Message != "" {
			tc.SystemOut = c.Message
		}
	}
	i := -1
	for j, s := range r.suites.TestSuites {
		if s.Name == suite {
			i = j
		}
	}
	if i < 0 {
		r.suites.TestSuites = append([]reporters.JUnitTestSuite{{Name: suite, Timestamp: time.Now().UTC().Format(time.RFC3339)}}, r.suites.TestSuites...)
		i = 0
	}
	r.suites.TestSuites[i].TestCases = append(r.suites.TestSuites[i].TestCases, tc)
}

// Write writes the report as dir/junit_01.xml, with every count recomputed.
func (r *Report) Write(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.suites
	s.Tests, s.Disabled, s.Errors, s.Failures, s.Time = 0, 0, 0, 0, 0
	for i := range s.TestSuites {
		ts := &s.TestSuites[i]
		ts.Tests, ts.Skipped, ts.Failures, ts.Errors, ts.Time = len(ts.TestCases), 0, 0, 0, 0
		for _, tc := range ts.TestCases {
			ts.Time += tc.Time
			switch {
			case tc.Failure != nil:
				ts.Failures++
			case tc.Error != nil:
				ts.Errors++
			case tc.Skipped != nil:
				ts.Skipped++
			}
		}
		s.Tests += ts.Tests
		s.Disabled += ts.Skipped + ts.Disabled
		s.Errors += ts.Errors
		s.Failures += ts.Failures
		s.Time += ts.Time
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JUnit report: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report dir: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, JUnitFile), append([]byte(xml.Header), append(b, '\n')...), 0o644)
}

// NotRunMarker starts the skip message of a spec that node-test's setup
// kept from running — a static pod directory not mounted, a kubelet that
// refuses the control plane's requests — as opposed to one the node does
// not apply to (a feature it does not have, a kubelet too old for it). The
// specs write it (through suites/framework.SkipNotRun) with the fix; such
// a skip makes the verdict INCOMPLETE: the node was not checked on it.
const NotRunMarker = "[not run: node-test's setup]"

// NotRun reports whether c is a spec node-test's setup kept from running.
func (c Case) NotRun() bool {
	return c.Status == StatusSkipped && strings.Contains(c.Message, NotRunMarker)
}

// Verdicts of a run: every selected spec passed or does not apply to the
// node; some spec or check failed; or nothing failed but node-test's setup
// kept some specs from running.
const (
	VerdictPass       = "PASS"
	VerdictFail       = "FAIL"
	VerdictIncomplete = "INCOMPLETE"
)

// Summary is what summary.json holds. The counts are kept apart: a spec
// count that mixed in the checks and the run's steps would not say how many
// of the selected specs passed.
type Summary struct {
	About   About  `json:"about"`
	Verdict string `json:"verdict"`
	// Specs counts the specs; Checks the system verification's checks of
	// the host; Setup the run's own steps (control plane, images, ...).
	Specs       Counts `json:"specs"`
	Checks      Counts `json:"checks"`
	Setup       Counts `json:"setup"`
	FailedCases []Case `json:"failedCases,omitempty"`
	// Floor is the least time the spec run could have taken.
	Floor *Floor `json:"floor,omitempty"`
	// NotRunCases are the skipped specs node-test's setup kept from
	// running, each with the fix in its message; Specs.Skipped counts them.
	NotRunCases []Case `json:"notRunCases,omitempty"`
	// MeasuredCases are the specs that reported figures, with them.
	MeasuredCases []Case `json:"measuredCases,omitempty"`
}

// Failed is the number of failed specs, checks and steps.
func (s Summary) Failed() int { return s.Specs.Failed + s.Checks.Failed + s.Setup.Failed }

// Headline is the summary's first line: the verdict and the specs' counts,
// or the checks' when only the host was verified (node-test validate).
func (s Summary) Headline() string {
	switch {
	case s.checksOnly():
		return fmt.Sprintf("%s: %s checks", s.Verdict, s.Checks)
	case s.Specs.Total == 0:
		return s.Verdict + ": no spec ran"
	case len(s.NotRunCases) > 0:
		return fmt.Sprintf("%s: %d passed, %d failed, %d skipped (%d of them not run because of node-test's setup) of %d specs",
			s.Verdict, s.Specs.Passed, s.Specs.Failed, s.Specs.Skipped, len(s.NotRunCases), s.Specs.Total)
	}
	return fmt.Sprintf("%s: %s specs", s.Verdict, s.Specs)
}

func (s Summary) checksOnly() bool {
	return s.Specs.Total == 0 && s.Setup.Total == 0 && s.Checks.Total > 0
}

// Lines are the summary's lines after the headline, as label and value:
// the counts of the checks and steps, then what was certified.
func (s Summary) Lines() [][2]string {
	var out [][2]string
	if s.Checks.Total > 0 && !s.checksOnly() {
		out = append(out, [2]string{"checks", s.Checks.String() + " (system verification)"})
	}
	if s.Setup.Total > 0 {
		out = append(out, [2]string{"setup", s.Setup.String() + " steps"})
	}
	if s.Floor != nil {
		out = append(out, [2]string{"floor", s.Floor.String(s.About.SpecsSeconds)})
	}
	return append(out, s.About.Lines()...)
}

// About says what a run certified and with what: the node and its
// software, node-test and the selection of specs. An empty field is
// unknown: a run that stopped before the node registered knows no kubelet.
type About struct {
	Node             string    `json:"node,omitempty"`
	Architecture     string    `json:"architecture,omitempty"`
	KubeletVersion   string    `json:"kubeletVersion,omitempty"`
	ContainerRuntime string    `json:"containerRuntime,omitempty"`
	OSImage          string    `json:"osImage,omitempty"`
	KernelVersion    string    `json:"kernelVersion,omitempty"`
	NodeTest         string    `json:"nodeTest,omitempty"`
	Kubernetes       string    `json:"kubernetes,omitempty"`
	Focus            string    `json:"focus,omitempty"`
	Skip             string    `json:"skip,omitempty"`
	Started          time.Time `json:"started,omitzero"`
	Finished         time.Time `json:"finished,omitzero"`
	// HostLogs says, per host log, what the run collected and from where,
	// or why it could not.
	HostLogs []string `json:"hostLogs,omitempty"`
	// Restarts names the host daemons (kubelet, runtime) that restarted or
	// stopped during the run.
	Restarts []string `json:"restarts,omitempty"`
	// LeftOnNode says what of the run the node still holds once it ended:
	// pods' sandboxes and containers, the images it loaded.
	LeftOnNode string `json:"leftOnNode,omitempty"`
	// RerunOf says which run's failed specs the run ran again, if it did.
	RerunOf string `json:"rerunOf,omitempty"`
	// Parallelism is the run's PARALLELISM; SpecsSeconds how long its spec
	// run took, wall clock, once it ended.
	Parallelism  int     `json:"parallelism,omitempty"`
	SpecsSeconds float64 `json:"specsSeconds,omitempty"`
}

// Floor is the least time a spec run could take on its parallelism, from
// its specs' own durations: it cannot end before its longest spec, nor
// before the sum of its specs' times spread over its parallel processes.
type Floor struct {
	Seconds        float64 `json:"seconds"`
	LongestSeconds float64 `json:"longestSeconds"`
	LongestSpec    string  `json:"longestSpec"`
	SumSeconds     float64 `json:"sumSeconds"`
	Parallelism    int     `json:"parallelism"`
	// Ratio is the spec run's wall time over the floor.
	Ratio float64 `json:"ratio"`
}

// floorOf returns the floor of the spec cases, or nil when the run did not
// time its specs.
func floorOf(specs []Case, about About) *Floor {
	if about.SpecsSeconds <= 0 || about.Parallelism <= 0 || len(specs) == 0 {
		return nil
	}
	f := &Floor{Parallelism: about.Parallelism}
	for _, c := range specs {
		f.SumSeconds += c.Seconds
		if c.Seconds > f.LongestSeconds {
			f.LongestSeconds, f.LongestSpec = c.Seconds, c.Name
		}
	}
	f.Seconds = max(f.LongestSeconds, f.SumSeconds/float64(f.Parallelism))
	if f.Seconds > 0 {
		f.Ratio = about.SpecsSeconds / f.Seconds
	}
	return f
}

// String is the floor on one line: what it is made of and how far the spec
// run was above it.
func (f Floor) String(specsSeconds float64) string {
	d := func(s float64) string { return (time.Duration(s) * time.Second).Round(time.Second).String() }
	return fmt.Sprintf("%s = max(longest spec %s, Σ %s / %d); the specs took %s, %.2f× the floor (longest: %s)",
		d(f.Seconds), d(f.LongestSeconds), d(f.SumSeconds), f.Parallelism, d(specsSeconds), f.Ratio, strings.TrimPrefix(f.LongestSpec, "[It] "))
}

// Lines are the known fields of a, as label and value, in the order the
// summary prints them.
func (a About) Lines() [][2]string {
	var out [][2]string
	add := func(label, v string) {
		if v != "" {
			out = append(out, [2]string{label, v})
		}
	}
	node := a.Node
	if node != "" && a.Architecture != "" {
		node += " (" + a.Architecture + ")"
	}
	add("node", node)
	add("kubelet", a.KubeletVersion)
	add("runtime", a.ContainerRuntime)
	add("os", a.OSImage)
	add("kernel", a.KernelVersion)
	nt := a.NodeTest
	if nt != "" && a.Kubernetes != "" {
		nt += ", specs of Kubernetes " + a.Kubernetes
	}
	add("node-test", nt)
	add("re-run of", a.RerunOf)
	add("focus", a.Focus)
	add("skip", a.Skip)
	if !a.Started.IsZero() {
		when := a.Started.UTC().Format(time.RFC3339)
		if !a.Finished.IsZero() {
			when += ", took " + a.Finished.Sub(a.Started).Round(time.Second).String()
		}
		add("started", when)
	}
	add("restarts", strings.Join(a.Restarts, "; "))
	add("left on node", a.LeftOnNode)
	add("host logs", strings.Join(a.HostLogs, "; "))
	return out
}

// Summary files of the report directory.
const (
	SummaryFile     = "summary.txt"
	SummaryJSONFile = "summary.json"
	HTMLFile        = "report.html"
)

// WriteSummary writes the summary of the report, with about, to dir:
// summary.txt for people, summary.json for tools, and report.html, every
// testcase on one page.
func (r *Report) WriteSummary(dir string, about About) (Summary, error) {
	cases := r.Cases()
	sum := Summary{About: about, Verdict: VerdictPass}
	var specs []Case
	for _, c := range cases {
		if c.Suite != SetupSuite && c.Suite != ValidationSuite {
			specs = append(specs, c)
		}
		switch c.Suite {
		case SetupSuite:
			sum.Setup.add(c.Status)
		case ValidationSuite:
			sum.Checks.add(c.Status)
		default:
			sum.Specs.add(c.Status)
		}
		if c.Status == StatusFailed {
			sum.FailedCases = append(sum.FailedCases, c)
		}
		if c.NotRun() {
			sum.NotRunCases = append(sum.NotRunCases, c)
		}
		if len(c.Measured) > 0 {
			sum.MeasuredCases = append(sum.MeasuredCases, c)
		}
	}
	sum.Floor = floorOf(specs, about)
	switch {
	case sum.Failed() > 0 || len(cases) == 0:
		sum.Verdict = VerdictFail
	case len(sum.NotRunCases) > 0:
		sum.Verdict = VerdictIncomplete
	}
	var b strings.Builder
	fmt.Fprintln(&b, sum.Headline())
	for _, l := range sum.Lines() {
		fmt.Fprintf(&b, "%-10s %s\n", l[0], l[1])
	}
	for _, c := range sum.FailedCases {
		fmt.Fprintf(&b, "FAILED %s\n    %s\n", c.Name, strings.ReplaceAll(firstLine(c.Message), "\n", "\n    "))
	}
	for _, c := range sum.MeasuredCases {
		fmt.Fprintf(&b, "MEASURED %s\n    %s\n", c.Name, c.MeasuredString())
	}
	for _, c := range sum.NotRunCases {
		fmt.Fprintf(&b, "NOT RUN %s\n    %s\n", c.Name, strings.TrimSpace(strings.ReplaceAll(c.Message, NotRunMarker, "")))
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), []byte(b.String()), 0o644); err != nil {
		return sum, fmt.Errorf("write summary: %w", err)
	}
	j, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return sum, err
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryJSONFile), append(j, '\n'), 0o644); err != nil {
		return sum, fmt.Errorf("write summary: %w", err)
	}
	return sum, writeHTML(dir, sum, cases)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Merge returns a report holding the suites of first, then those of rest.
func Merge(first *Report, rest ...*Report) *Report {
	out := &Report{}
	for _, r := range append([]*Report{first}, rest...) {
		r.mu.Lock()
		for _, s := range r.suites.TestSuites {
			s.TestCases = slices.Clone(s.TestCases)
			out.suites.TestSuites = append(out.suites.TestSuites, s)
		}
		r.mu.Unlock()
	}
	return out
}

// The host's logs of a run, in the report directory: what the kubelet, the
// container runtime's daemons and the kernel logged while it ran, under the
// names upstream's node e2e tests give them.
const KernelLogFile = "kern.log"

// The spec run's output and the control plane's logs, in the report
// directory.
const (
	SpecsLogFile       = "specs.log"
	ControlPlaneLogDir = "controlplane"
)

// RuntimeDaemons are the daemons of each CRI runtime whose logs a run
// collects, besides the kubelet's, by the runtime's name.
var RuntimeDaemons = map[string][]string{
	"containerd":  {"containerd"},
	"crio":        {"crio"},
	"cri-dockerd": {"cri-dockerd", "dockerd"},
}

// DaemonLogFile is the file of the log of the host daemon called name.
func DaemonLogFile(name string) string { return name + ".log" }

// RunManifest is the file of the report directory naming what the last run
// wrote there: the next run removes those entries (the framework's dumps of
// failed specs' pods among them, in directories named after namespaces).
const RunManifest = ".node-test-run"

// ErrForeignFiles means the report directory holds files a run would
// write over that no run of node-test wrote: the user's, or another tool's.
var ErrForeignFiles = errors.New("the report directory holds files node-test did not write")

// Written are the fixed names a run writes in the report directory: the
// report, the summary, the timeline, the spec run's output, the control plane's logs and
// the host's logs.
func Written() []string {
	files := []string{JUnitFile, SummaryFile, SummaryJSONFile, HTMLFile, TimelineFile, SpecsLogFile, ControlPlaneLogDir,
		DaemonLogFile("kubelet"), KernelLogFile}
	for _, name := range slices.Sorted(maps.Keys(RuntimeDaemons)) {
		for _, d := range RuntimeDaemons[name] {
			if !slices.Contains(files, DaemonLogFile(d)) {
				files = append(files, DaemonLogFile(d))
			}
		}
	}
	return files
}

// recorded returns the entries dir's manifest names.
func recorded(dir string) []string {
	var names []string
	if b, err := os.ReadFile(filepath.Join(dir, RunManifest)); err == nil {
		for _, name := range strings.Split(string(b), "\n") {
			// Only entries of dir itself: a line naming anything else is not ours.
			if name != "" && !strings.HasPrefix(name, "#") && filepath.Base(name) == name && name != "." && name != ".." && name != RunManifest {
				names = append(names, name)
			}
		}
	}
	return names
}

// CheckOwned returns ErrForeignFiles, naming them, if any of names is in
// dir but not named by its manifest: a file node-test did not write, which
// it must not write over.
func CheckOwned(dir string, names ...string) error {
	ours := recorded(dir)
	var foreign []string
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil && !slices.Contains(ours, n) {
			foreign = append(foreign, n)
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("%w: %s in %s: give another directory, or move them away", ErrForeignFiles, strings.Join(foreign, ", "), dir)
	}
	return nil
}

// Clear removes what an earlier run left in dir — every entry its manifest
// names, and nothing else — so that nothing of it is mistaken for this
// run's. It returns the entries it left: what the directory held that no
// run of node-test wrote. When one of those has a name the run writes, it
// removes nothing and returns ErrForeignFiles naming them: a run never
// writes over a file it did not write.
func Clear(dir string) ([]string, error) {
	recorded := recorded(dir)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the report directory: %w", err)
	}
	kept := []string{}
	var foreign []string
	for _, e := range entries {
		if e.Name() == RunManifest || slices.Contains(recorded, e.Name()) {
			continue
		}
		kept = append(kept, e.Name())
		if slices.Contains(Written(), e.Name()) {
			foreign = append(foreign, e.Name())
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("%w: %s, which this run would write over: give another REPORT_PATH (--report-dir, or mount another directory at it), or move them away",
			ErrForeignFiles, strings.Join(foreign, ", "))
	}
	for _, f := range append(recorded, RunManifest) {
		if err := os.RemoveAll(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("remove the previous run's %s: %w", f, err)
		}
	}
	return kept, nil
}

// RecordRun writes dir's manifest: every entry of dir but kept, the entries
// Clear left at the start of the run.
//
// With planned, it names the fixed names a run writes (Written) as well,
// written yet or not: a run records its manifest so as soon as it has
// cleared the directory, so that one killed before its end leaves what it
// wrote to the next run; at its end, it records what it did write.
func RecordRun(dir string, kept []string, planned bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read the report directory: %w", err)
	}
	var names []string
	if planned {
		names = Written()
	}
	for _, e := range entries {
		if e.Name() != RunManifest && !slices.Contains(kept, e.Name()) && !slices.Contains(names, e.Name()) {
			names = append(names, e.Name())
		}
	}
	var b strings.Builder
	b.WriteString("# What node-test's last run wrote in this directory: its next run removes these.\n")
	for _, name := range names {
		b.WriteString(name + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, RunManifest), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", RunManifest, err)
	}
	return nil
}
