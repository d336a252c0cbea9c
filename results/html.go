package results

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
)

// page is report.html: one self-contained page (no script, no external
// resource) with the verdict, what was certified, the failures in full,
// then every testcase by suite.
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"seconds": func(s float64) string { return fmt.Sprintf("%.1f s", s) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>node-test {{.Sum.Verdict}}{{with .Sum.About.Node}}: {{.}}{{end}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
h1.PASS { color: #1a7f37; } h1.FAIL { color: #cf222e; } h1.INCOMPLETE { color: #9a6700; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { text-align: left; padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; vertical-align: top; }
.passed { color: #1a7f37; } .failed { color: #cf222e; font-weight: bold; } .skipped { color: #777; }
pre { white-space: pre-wrap; margin: 0.3em 0; font-size: 0.9em; }
</style>
</head>
<body>
<h1 class="{{.Sum.Verdict}}">{{.Sum.Headline}}</h1>
<table>
{{range .Sum.Lines}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
{{if .Sum.FailedCases}}<h2>Failed</h2>
{{range .Sum.FailedCases}}<h3 class="failed">{{.Name}}</h3>
<pre>{{.Message}}</pre>
{{end}}{{end}}
{{if .Sum.NotRunCases}}<h2>Not run because of node-test's setup</h2>
<p>These specs do apply to the node, but node-test could not run them as it was set up; the verdict is INCOMPLETE until they run.</p>
{{range .Sum.NotRunCases}}<h3 class="skipped">{{.Name}}</h3>
<pre>{{.Message}}</pre>
{{end}}{{end}}
{{range .Suites}}<h2>{{.Name}}</h2>
<table>
<tr><th>status</th><th>testcase</th><th>time</th></tr>
{{range .Cases}}<tr><td class="{{.Status}}">{{.Status}}</td><td>{{.Name}}{{if and .Message (ne .Status "failed")}}<pre>{{.Message}}</pre>{{end}}</td><td>{{seconds .Seconds}}</td></tr>
{{end}}</table>
{{end}}</body>
</html>
`))

type htmlSuite struct {
	Name  string
	Cases []Case
}

// writeHTML writes report.html at path.
func writeHTML(path string, sum Summary, cases []Case) error {
	var suites []htmlSuite
	for _, c := range cases {
		if n := len(suites); n == 0 || suites[n-1].Name != c.Suite {
			suites = append(suites, htmlSuite{Name: c.Suite})
		}
		suites[len(suites)-1].Cases = append(suites[len(suites)-1].Cases, c)
	}
	var b bytes.Buffer
	if err := page.Execute(&b, struct {
		Sum    Summary
		Suites []htmlSuite
	}{sum, suites}); err != nil {
		return fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", HTMLFile, err)
	}
	return nil
}
