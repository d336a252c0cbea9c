package results

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// page is report.html: one self-contained page (no external resource, its
// only script inline) with the verdict and the counts, the run's timeline,
// the results per area, the failures in full, then every testcase by suite,
// which a search box and a status filter narrow down; the page's address
// can carry both (report.html#status=failed&q=MirrorPod).
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"seconds": func(s float64) string { return fmt.Sprintf("%.1f s", s) },
	"pct":     func(f float64) string { return fmt.Sprintf("%.2f%%", f) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>node-test {{.Sum.Verdict}}{{with .Sum.About.Node}}: {{.}}{{end}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
h1.PASS { color: #1a7f37; } h1.FAIL { color: #cf222e; } h1.INCOMPLETE { color: #9a6700; }
.counts span { display: inline-block; padding: 0.3em 0.8em; margin-right: 0.5em; border-radius: 4px; font-size: 1.2em; }
.counts .passed { background: #dafbe1; } .counts .failed { background: #ffebe9; } .counts .skipped { background: #eee; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { text-align: left; padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; vertical-align: top; }
.passed { color: #1a7f37; } .failed { color: #cf222e; font-weight: bold; } .skipped { color: #777; }
pre { white-space: pre-wrap; margin: 0.3em 0; font-size: 0.9em; }
svg text { font-size: 11px; fill: #444; }
rect.passed { fill: #2da44e; } rect.failed { fill: #cf222e; } rect.skipped { fill: #aaa; } rect.phase { fill: #0969da; }
.area { display: flex; align-items: center; margin: 0.15em 0; }
.area .name { width: 28em; font-size: 0.9em; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.area .bar { display: flex; width: 30em; height: 0.9em; background: #eee; }
.area .bar div.passed { background: #2da44e; } .area .bar div.failed { background: #cf222e; } .area .bar div.skipped { background: #aaa; }
.area .n { margin-left: 0.6em; font-size: 0.85em; color: #555; }
</style>
</head>
<body>
<h1 class="{{.Sum.Verdict}}" id="verdict">{{.Sum.Headline}}</h1>
<p class="counts" id="counts"><span class="passed">{{.Sum.Specs.Passed}} passed</span><span class="failed">{{.Sum.Specs.Failed}} failed</span><span class="skipped">{{.Sum.Specs.Skipped}} skipped</span> of {{.Sum.Specs.Total}} specs</p>
<table>
{{range .Sum.Lines}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
{{with .Timeline}}<h2>Timeline</h2>
<p>{{.Span}} from the first setup phase to the last spec: the run's phases, then each spec on the lane of the parallel process that ran it, coloured by its result (point at a bar for its name and time; a failed one leads to its failure).</p>
<svg id="timeline" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{range .Lanes}}<text x="0" y="{{.TextY}}">{{.Label}}</text>
{{end}}{{range .Ticks}}<line x1="{{.X}}" x2="{{.X}}" y1="0" y2="{{$.Timeline.AxisY}}" stroke="#ddd"/><text x="{{.X}}" y="{{$.Timeline.LabelY}}">{{.Label}}</text>
{{end}}{{range .Bars}}{{if .Link}}<a href="#{{.Link}}">{{end}}<rect class="{{.Class}}" x="{{printf "%.1f" .X}}" y="{{.Y}}" width="{{printf "%.1f" .W}}" height="12"><title>{{.Title}}</title></rect>{{if .Link}}</a>{{end}}
{{end}}</svg>
{{end}}
{{if .Areas}}<h2>Areas</h2>
{{range .Areas}}<div class="area"><span class="name" title="{{.Area}}">{{.Area}}</span><span class="bar">{{if .Passed}}<div class="passed" style="width: {{pct .PassedPct}}"></div>{{end}}{{if .Failed}}<div class="failed" style="width: {{pct .FailedPct}}"></div>{{end}}{{if .Skipped}}<div class="skipped" style="width: {{pct .SkippedPct}}"></div>{{end}}</span><span class="n">{{.Passed}} passed{{if .Failed}}, {{.Failed}} failed{{end}}{{if .Skipped}}, {{.Skipped}} skipped{{end}}</span></div>
{{end}}{{end}}
{{if .Sum.MeasuredCases}}<h2>Measured</h2>
{{range .Sum.MeasuredCases}}<h3 class="{{.Status}}">{{.Name}}</h3>
<table class="measured">
{{range .Measured}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{end}}
{{if .Failures}}<h2>Failed</h2>
{{range .Failures}}<h3 class="failed" id="{{.Anchor}}">{{.Name}}</h3>
<pre>{{.Message}}</pre>
{{if or .Window .PodDirs}}<p>{{with .Window}}Ran {{.}}: the host's logs of that time: {{range $.HostLogs}}<a href="{{.}}">{{.}}</a> {{end}}{{end}}{{with .PodDirs}} Its pods' logs: {{range .}}<a href="{{.}}/">{{.}}</a> {{end}}{{end}}</p>{{end}}
{{with .Log}}<details><summary>what the spec logged</summary><pre>{{.}}</pre></details>{{end}}
{{end}}{{end}}
{{if .Sum.NotRunCases}}<h2>Not run because of node-test's setup</h2>
<p>These specs do apply to the node, but node-test could not run them as it was set up; the verdict is INCOMPLETE until they run.</p>
{{range .Sum.NotRunCases}}<h3 class="skipped">{{.Name}}</h3>
<pre>{{.Message}}</pre>
{{end}}{{end}}
<h2>Testcases</h2>
<p><input id="q" type="search" placeholder="filter by text" size="40"/> <select id="status"><option value="">every result</option><option value="passed">passed</option><option value="failed">failed</option><option value="skipped">skipped</option></select> <span id="shown"></span></p>
{{range .Suites}}<h3>{{.Name}}</h3>
<table>
<tr><th>status</th><th>testcase</th><th>time</th></tr>
{{range .Cases}}<tr class="case" data-status="{{.Status}}"><td class="{{.Status}}">{{.Status}}</td><td>{{.Name}}{{if and .Message (ne .Status "failed")}}<pre>{{.Message}}</pre>{{end}}</td><td>{{seconds .Seconds}}</td></tr>
{{end}}</table>
{{end}}<script>
(function () {
  var q = document.getElementById("q"), status = document.getElementById("status"), shown = document.getElementById("shown");
  var rows = document.querySelectorAll("tr.case");
  function apply() {
    var text = q.value.toLowerCase(), want = status.value, n = 0;
    rows.forEach(function (row) {
      var show = !want || row.dataset.status === want;
      if (show) { show = !text || row.textContent.toLowerCase().indexOf(text) >= 0; }
      row.hidden = !show;
      if (show) { n++; }
    });
    shown.textContent = n + " of " + rows.length + " testcases shown";
  }
  var asked = new URLSearchParams(location.hash.slice(1));
  if (asked.get("q")) { q.value = asked.get("q"); }
  if (asked.get("status")) { status.value = asked.get("status"); }
  q.addEventListener("input", apply);
  status.addEventListener("change", apply);
  apply();
})();
</script>
</body>
</html>
`))

type htmlSuite struct {
	Name  string
	Cases []Case
}

// htmlFailure is a failed testcase with what leads to its logs.
type htmlFailure struct {
	Case
	Anchor string
	// Window is when it ran, if the timeline says.
	Window string
	// PodDirs are the report directory's directories its message names:
	// the dumps of its namespace.
	PodDirs []string
}

// htmlArea is the results of one area's specs.
type htmlArea struct {
	Area                             string
	Passed, Failed, Skipped          int
	PassedPct, FailedPct, SkippedPct float64
}

// htmlTimeline is the run's timeline drawn as an SVG.
type htmlTimeline struct {
	Width, Height, AxisY, LabelY int
	Span                         string
	Lanes                        []htmlLane
	Ticks                        []htmlTick
	Bars                         []htmlBar
}

type htmlLane struct {
	Label string
	TextY int
}

type htmlTick struct {
	X     float64
	Label string
}

type htmlBar struct {
	X, W        float64
	Y           int
	Class       string
	Title, Link string
}

// Geometry of the timeline, in pixels.
const (
	laneLabelWidth = 90
	chartWidth     = 1000
	laneHeight     = 16
)

// writeHTML writes report.html in dir, drawing the run's timeline from
// dir's timeline stream when there is one.
func writeHTML(dir string, sum Summary, cases []Case) error {
	var suites []htmlSuite
	for _, c := range cases {
		if n := len(suites); n == 0 || suites[n-1].Name != c.Suite {
			suites = append(suites, htmlSuite{Name: c.Suite})
		}
		suites[len(suites)-1].Cases = append(suites[len(suites)-1].Cases, c)
	}
	events, err := LoadTimeline(filepath.Join(dir, TimelineFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read the run's timeline: %w", err)
	}
	ran := spans(events)
	failures := htmlFailures(dir, sum.FailedCases, ran)
	anchors := map[string]string{}
	for _, f := range failures {
		anchors[specText(f.Name)] = f.Anchor
	}
	var hostLogs []string
	for _, name := range Written() {
		if strings.HasSuffix(name, ".log") {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				hostLogs = append(hostLogs, name)
			}
		}
	}
	var b bytes.Buffer
	if err := page.Execute(&b, struct {
		Sum      Summary
		Suites   []htmlSuite
		Timeline *htmlTimeline
		Areas    []htmlArea
		Failures []htmlFailure
		HostLogs []string
	}{sum, suites, drawTimeline(ran, anchors), htmlAreas(cases, events), failures, hostLogs}); err != nil {
		return fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, HTMLFile), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", HTMLFile, err)
	}
	return nil
}

// specText is the spec's full text of a testcase's name, as the timeline
// names it.
func specText(name string) string { return strings.TrimPrefix(name, "[It] ") }

// spans pairs each spec's end in the timeline with its start: what ran,
// on which process, from when to when.
type span struct {
	ProgressEvent
	Start, End time.Time
}

func spans(events []ProgressEvent) []span {
	starts := map[string]time.Time{}
	var out []span
	for _, e := range events {
		switch e.Event {
		case ProgressStart:
			starts[fmt.Sprint(e.Process, e.Spec)] = e.Time
		case ProgressEnd:
			start, ok := starts[fmt.Sprint(e.Process, e.Spec)]
			if !ok {
				start = e.Time.Add(-time.Duration(e.Seconds * float64(time.Second)))
			}
			out = append(out, span{e, start, e.Time})
		case ProgressPhase:
			out = append(out, span{e, e.Time, e.Time.Add(time.Duration(e.Seconds * float64(time.Second)))})
		}
	}
	return out
}

func htmlFailures(dir string, failed []Case, all []span) []htmlFailure {
	ran := map[string]span{}
	for _, s := range all {
		if s.Event == ProgressEnd {
			ran[s.Spec] = s
		}
	}
	entries, _ := os.ReadDir(dir)
	var out []htmlFailure
	for i, c := range failed {
		f := htmlFailure{Case: c, Anchor: fmt.Sprintf("failure-%d", i+1)}
		if s, ok := ran[specText(c.Name)]; ok {
			f.Window = fmt.Sprintf("from %s to %s UTC", s.Start.UTC().Format("15:04:05"), s.End.UTC().Format("15:04:05"))
		}
		for _, e := range entries {
			if e.IsDir() && e.Name() != ControlPlaneLogDir && strings.Contains(c.Message+c.Log, e.Name()) {
				f.PodDirs = append(f.PodDirs, e.Name())
			}
		}
		out = append(out, f)
	}
	return out
}

// htmlAreas counts the spec cases per area, the area of each named by the
// timeline; a case the timeline does not name is counted in its suite.
func htmlAreas(cases []Case, events []ProgressEvent) []htmlArea {
	areaOf := map[string]string{}
	for _, e := range events {
		if e.Area != "" {
			areaOf[e.Spec] = e.Area
		}
	}
	byArea := map[string]*htmlArea{}
	for _, c := range cases {
		if c.Suite == SetupSuite || c.Suite == ValidationSuite {
			continue
		}
		name, ok := areaOf[specText(c.Name)]
		if !ok {
			name = c.Suite
		}
		a := byArea[name]
		if a == nil {
			a = &htmlArea{Area: name}
			byArea[name] = a
		}
		switch c.Status {
		case StatusPassed:
			a.Passed++
		case StatusFailed:
			a.Failed++
		default:
			a.Skipped++
		}
	}
	var out []htmlArea
	for _, a := range byArea {
		total := float64(a.Passed + a.Failed + a.Skipped)
		a.PassedPct, a.FailedPct, a.SkippedPct = 100*float64(a.Passed)/total, 100*float64(a.Failed)/total, 100*float64(a.Skipped)/total
		out = append(out, *a)
	}
	// Failures first, then the largest areas.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Failed != out[j].Failed {
			return out[i].Failed > out[j].Failed
		}
		if ti, tj := out[i].Passed+out[i].Failed+out[i].Skipped, out[j].Passed+out[j].Failed+out[j].Skipped; ti != tj {
			return ti > tj
		}
		return out[i].Area < out[j].Area
	})
	return out
}

// drawTimeline lays out the timeline's phases and specs, or returns nil
// when there is none.
func drawTimeline(all []span, anchors map[string]string) *htmlTimeline {
	if len(all) == 0 {
		return nil
	}
	first, last := all[0].Start, all[0].End
	var processes []int
	for _, s := range all {
		if s.Start.Before(first) {
			first = s.Start
		}
		if s.End.After(last) {
			last = s.End
		}
		if s.Event != ProgressPhase && !slices.Contains(processes, s.Process) {
			processes = append(processes, s.Process)
		}
	}
	slices.Sort(processes)
	total := last.Sub(first)
	if total <= 0 {
		total = time.Second
	}
	x := func(t time.Time) float64 {
		return laneLabelWidth + float64(chartWidth)*float64(t.Sub(first))/float64(total)
	}
	t := &htmlTimeline{Width: laneLabelWidth + chartWidth + 20, Span: total.Round(time.Second).String()}
	lane := func(i int) int { return i*laneHeight + 2 }
	t.Lanes = append(t.Lanes, htmlLane{Label: "phases", TextY: lane(0) + 10})
	laneOf := map[int]int{}
	for i, p := range processes {
		laneOf[p] = i + 1
		t.Lanes = append(t.Lanes, htmlLane{Label: fmt.Sprintf("process %d", p), TextY: lane(i+1) + 10})
	}
	t.AxisY = lane(len(t.Lanes))
	t.LabelY = t.AxisY + 14
	t.Height = t.LabelY + 4
	for _, s := range all {
		b := htmlBar{X: x(s.Start), W: max(x(s.End)-x(s.Start), 1), Class: string(s.State)}
		took := s.End.Sub(s.Start).Round(100 * time.Millisecond)
		if s.Event == ProgressPhase {
			b.Y, b.Class = lane(0), "phase"
			b.Title = fmt.Sprintf("%s: %s, %s", s.Spec, s.State, took)
		} else {
			b.Y = lane(laneOf[s.Process])
			b.Title = fmt.Sprintf("%s: %s, %s", s.Spec, s.State, took)
			if s.State == StatusFailed {
				b.Link = anchors[s.Spec]
			}
		}
		t.Bars = append(t.Bars, b)
	}
	step := tickStep(total)
	for d := time.Duration(0); d <= total; d += step {
		t.Ticks = append(t.Ticks, htmlTick{X: x(first.Add(d)), Label: tickLabel(d)})
	}
	return t
}

// tickStep is the time between two ticks of a timeline of total: at most
// a dozen ticks.
func tickStep(total time.Duration) time.Duration {
	for _, s := range []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
		10 * time.Minute, 15 * time.Minute, 30 * time.Minute} {
		if total/s <= 12 {
			return s
		}
	}
	return time.Hour
}

// tickLabel is the label of the tick d after the timeline's start: 0,
// 30s, 1m30s, 5m, 1h05m.
func tickLabel(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
