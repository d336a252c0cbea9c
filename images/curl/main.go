// Command curl is the small HTTP client the agnhost image carries for the
// specs that run `curl` inside a container (lifecycle hooks, the network
// helpers of the e2e framework). It implements the subset of curl's
// command line those specs use: a URL, -s, -S, -g, -q, -f, -L, -k, -v,
// -o FILE, -w '%{http_code}', -X METHOD, -d DATA, -H HEADER,
// --connect-timeout SECONDS, -m/--max-time SECONDS. Exit codes follow curl's
// where they matter: 6 no host, 7 no connection, 22 HTTP error with -f,
// 28 timeout.
package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type options struct {
	url, method, data, out, writeOut string
	headers                          []string
	silent, showErr, fail, follow    bool
	insecure, verbose                bool
	connectTimeout, maxTime          time.Duration
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "curl: %v\n", err)
		return 2
	}
	code, err := fetch(o, stdout, stderr)
	if err != nil && (!o.silent || o.showErr) {
		fmt.Fprintf(stderr, "curl: (%d) %v\n", code, err)
	}
	return code
}

func parse(args []string) (*options, error) {
	o := &options{}
	seconds := func(v string) (time.Duration, error) {
		f, err := strconv.ParseFloat(v, 64)
		return time.Duration(f * float64(time.Second)), err
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option %s: requires parameter", a)
			}
			i++
			return args[i], nil
		}
		var err error
		switch a {
		case "-s", "--silent":
			o.silent = true
		case "-S", "--show-error":
			o.showErr = true
		case "-f", "--fail":
			o.fail = true
		case "-L", "--location":
			o.follow = true
		case "-k", "--insecure":
			o.insecure = true
		case "-v", "--verbose":
			o.verbose = true
		case "-sS", "-Ss":
			o.silent, o.showErr = true, true
		case "-g", "--globoff", "-q", "--disable":
			// URL globbing and .curlrc: neither exists here.
		case "-o", "--output":
			o.out, err = next()
		case "-w", "--write-out":
			o.writeOut, err = next()
		case "-X", "--request":
			o.method, err = next()
		case "-d", "--data", "--data-raw", "--data-binary":
			o.data, err = next()
		case "-H", "--header":
			var h string
			h, err = next()
			o.headers = append(o.headers, h)
		case "--connect-timeout":
			var v string
			if v, err = next(); err == nil {
				o.connectTimeout, err = seconds(v)
			}
		case "-m", "--max-time":
			var v string
			if v, err = next(); err == nil {
				o.maxTime, err = seconds(v)
			}
		default:
			if strings.HasPrefix(a, "-") {
				return nil, fmt.Errorf("option %s: is unknown", a)
			}
			o.url = a
		}
		if err != nil {
			return nil, err
		}
	}
	if o.url == "" {
		return nil, errors.New("no URL specified")
	}
	if !strings.Contains(o.url, "://") {
		o.url = "http://" + o.url
	}
	if o.method == "" {
		o.method = http.MethodGet
		if o.data != "" {
			o.method = http.MethodPost
		}
	}
	return o, nil
}

func fetch(o *options, stdout, stderr io.Writer) (int, error) {
	dialer := &net.Dialer{Timeout: o.connectTimeout}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: &tls.Config{InsecureSkipVerify: o.insecure}}
	client := &http.Client{Transport: tr, Timeout: o.maxTime}
	if !o.follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	var body io.Reader
	if o.data != "" {
		body = strings.NewReader(o.data)
	}
	req, err := http.NewRequest(o.method, o.url, body)
	if err != nil {
		return 3, err
	}
	if o.data != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range o.headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if o.verbose {
		fmt.Fprintf(stderr, "> %s %s\n", req.Method, req.URL.RequestURI())
	}
	resp, err := client.Do(req)
	if err != nil {
		return exitCodeOf(err), err
	}
	defer resp.Body.Close()
	if o.verbose {
		fmt.Fprintf(stderr, "< %s %s\n", resp.Proto, resp.Status)
	}
	if o.fail && resp.StatusCode >= 400 {
		return 22, fmt.Errorf("the requested URL returned error: %d", resp.StatusCode)
	}
	w := stdout
	if o.out != "" && o.out != "-" {
		f, err := os.Create(o.out)
		if err != nil {
			return 23, err
		}
		defer f.Close()
		w = f
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return exitCodeOf(err), err
	}
	if o.writeOut != "" {
		fmt.Fprint(stdout, strings.NewReplacer("%{http_code}", fmt.Sprintf("%03d", resp.StatusCode), `\n`, "\n").Replace(o.writeOut))
	}
	return 0, nil
}

func exitCodeOf(err error) int {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return 6
	case errors.As(err, &netErr) && netErr.Timeout():
		return 28
	default:
		return 7
	}
}
