package results

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// NodeResult is one node's outcome in a run of node-test cluster: the
// summary its run wrote, or why there is none.
type NodeResult struct {
	Node    string   `json:"node"`
	Verdict string   `json:"verdict"`
	Summary *Summary `json:"summary,omitempty"`
	// Reason says why the node has no report of its own (its pod could not
	// start, it was NotReady, the report could not be collected), or why
	// its report is of part of its run (interrupted).
	Reason  string  `json:"reason,omitempty"`
	Seconds float64 `json:"seconds"`
	// Dir is the node's report directory, relative to the fleet's.
	Dir string `json:"dir"`
}

// Fleet is what a run of node-test cluster certified: the verdict over
// every node, and each node's outcome.
type Fleet struct {
	Verdict  string       `json:"verdict"`
	Image    string       `json:"image,omitempty"`
	Focus    string       `json:"focus,omitempty"`
	Skip     string       `json:"skip,omitempty"`
	Started  time.Time    `json:"started,omitzero"`
	Finished time.Time    `json:"finished,omitzero"`
	Nodes    []NodeResult `json:"nodes"`
}

// Passed is the number of nodes that passed.
func (f Fleet) Passed() int {
	n := 0
	for _, r := range f.Nodes {
		if r.Verdict == VerdictPass {
			n++
		}
	}
	return n
}

// Headline is the fleet summary's first line.
func (f Fleet) Headline() string {
	return fmt.Sprintf("%s: %d of %d nodes passed", f.Verdict, f.Passed(), len(f.Nodes))
}

// Row is a node's line in the fleet summary: verdict, counts, time and
// versions, or why it has no report.
func (r NodeResult) Row() string {
	took := (time.Duration(r.Seconds) * time.Second).Round(time.Second)
	if r.Summary == nil {
		return fmt.Sprintf("%-10s %-30s took %s: %s", r.Verdict, r.Node, took, r.Reason)
	}
	a := r.Summary.About
	if r.Summary.Specs.Total == 0 {
		// Stopped before its specs: what stopped it.
		why := r.Summary.Headline()
		if len(r.Summary.FailedCases) > 0 {
			c := r.Summary.FailedCases[0]
			why = c.Name + ": " + firstLine(c.Message)
		}
		return fmt.Sprintf("%-10s %-30s took %s: no spec ran: %s", r.Verdict, r.Node, took, why)
	}
	row := fmt.Sprintf("%-10s %-30s %s specs, took %s; kubelet %s, runtime %s, kernel %s",
		r.Verdict, r.Node, r.Summary.Specs, took, orUnknown(a.KubeletVersion), orUnknown(a.ContainerRuntime), orUnknown(a.KernelVersion))
	if r.Reason != "" {
		row += "; " + r.Reason
	}
	return row
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// NodeVerdict is the verdict of a node's run from its summary: a summary
// without specs or with failures fails.
func NodeVerdict(s *Summary) string {
	if s == nil {
		return VerdictFail
	}
	return s.Verdict
}

// FleetVerdict is PASS only when every node passed; INCOMPLETE when none
// failed but some were not fully checked; FAIL otherwise, and for no node.
func FleetVerdict(nodes []NodeResult) string {
	if len(nodes) == 0 {
		return VerdictFail
	}
	v := VerdictPass
	for _, r := range nodes {
		switch r.Verdict {
		case VerdictPass:
		case VerdictIncomplete:
			v = VerdictIncomplete
		default:
			return VerdictFail
		}
	}
	return v
}

// WriteFleet writes the fleet's summary.txt, summary.json, report.html and
// a junit_01.xml of one testcase per node to dir. Each node's own report
// stays in its directory.
func WriteFleet(dir string, f Fleet) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report dir: %w", err)
	}
	var b strings.Builder
	fmt.Fprintln(&b, f.Headline())
	if f.Image != "" {
		fmt.Fprintf(&b, "%-10s %s\n", "image", f.Image)
	}
	if f.Focus != "" {
		fmt.Fprintf(&b, "%-10s %s\n", "focus", f.Focus)
	}
	if f.Skip != "" {
		fmt.Fprintf(&b, "%-10s %s\n", "skip", f.Skip)
	}
	if !f.Started.IsZero() && !f.Finished.IsZero() {
		fmt.Fprintf(&b, "%-10s %s, took %s\n", "started", f.Started.UTC().Format(time.RFC3339), f.Finished.Sub(f.Started).Round(time.Second))
	}
	for _, r := range f.Nodes {
		fmt.Fprintln(&b, r.Row())
		if r.Summary != nil {
			for _, c := range r.Summary.FailedCases {
				fmt.Fprintf(&b, "    FAILED %s\n        %s\n", c.Name, firstLine(c.Message))
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	j, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryJSONFile), append(j, '\n'), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	r := &Report{}
	for _, n := range f.Nodes {
		c := Case{Name: "node " + n.Node, Status: StatusPassed, Seconds: n.Seconds, Message: n.Row()}
		switch {
		case n.Verdict == VerdictFail:
			c.Status = StatusFailed
			c.Message = n.Row()
			if n.Summary != nil {
				for _, fc := range n.Summary.FailedCases {
					c.Message += "\nFAILED " + fc.Name + ": " + firstLine(fc.Message)
				}
			}
		case n.Verdict == VerdictIncomplete:
			c.Status = StatusSkipped
		}
		r.Add(FleetSuite, c)
	}
	if err := r.Write(dir); err != nil {
		return err
	}
	var h strings.Builder
	if err := fleetPage.Execute(&h, f); err != nil {
		return fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	return os.WriteFile(filepath.Join(dir, HTMLFile), []byte(h.String()), 0o644)
}

// FleetSuite is the suite of the fleet's JUnit: one testcase per node.
const FleetSuite = "node-test cluster"

var fleetPage = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"took": func(s float64) string { return (time.Duration(s) * time.Second).Round(time.Second).String() },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>node-test cluster {{.Verdict}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
h1.PASS, .PASS { color: #1a7f37; } h1.FAIL, .FAIL { color: #cf222e; } h1.INCOMPLETE, .INCOMPLETE { color: #9a6700; }
table { border-collapse: collapse; }
td, th { text-align: left; padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; vertical-align: top; }
</style>
</head>
<body>
<h1 class="{{.Verdict}}" id="verdict">{{.Headline}}</h1>
<p>{{with .Image}}Image {{.}}. {{end}}{{with .Focus}}FOCUS {{.}}. {{end}}{{with .Skip}}SKIP {{.}}.{{end}}</p>
<table id="nodes">
<tr><th>node</th><th>verdict</th><th>passed</th><th>failed</th><th>skipped</th><th>time</th><th>kubelet</th><th>runtime</th><th>kernel</th><th>report</th></tr>
{{range .Nodes}}<tr><td>{{.Node}}</td><td class="{{.Verdict}}">{{.Verdict}}{{if and .Summary .Reason}} ({{.Reason}}){{end}}</td>{{with .Summary}}<td>{{.Specs.Passed}}</td><td>{{.Specs.Failed}}</td><td>{{.Specs.Skipped}}</td>{{else}}<td colspan="3">{{.Reason}}</td>{{end}}<td>{{took .Seconds}}</td>{{with .Summary}}<td>{{.About.KubeletVersion}}</td><td>{{.About.ContainerRuntime}}</td><td>{{.About.KernelVersion}}</td>{{else}}<td></td><td></td><td></td>{{end}}<td><a href="{{.Dir}}/report.html">{{.Dir}}/</a></td></tr>
{{end}}</table>
</body>
</html>
`))
