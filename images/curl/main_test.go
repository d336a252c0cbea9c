package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCurlAsTheSpecsUseIt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Query().Get("msg"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	var out, errOut bytes.Buffer
	if code := run([]string{"http://" + host + "/echo?msg=poststart"}, &out, &errOut); code != 0 || out.String() != "GET poststart" {
		t.Errorf("plain GET: code %d out %q err %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"-g", "-q", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + host + "/missing"}, &out, &errOut); code != 0 || out.String() != "404" {
		t.Errorf("-w http_code: code %d out %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"-s", "-f", host + "/missing"}, &out, &errOut); code != 22 {
		t.Errorf("-f on 404: code %d, want 22", code)
	}
	if code := run([]string{"-X", "POST", "-d", "x=1", "http://" + host + "/p?msg=m"}, &out, &errOut); code != 0 || !strings.HasSuffix(out.String(), "POST m") {
		t.Errorf("POST: code %d out %q", code, out.String())
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	if code := run([]string{"-s", "--connect-timeout", "1", "http://" + addr + "/"}, &out, &errOut); code != 7 {
		t.Errorf("refused connection: code %d, want 7", code)
	}
	if code := run([]string{"--bogus", "x"}, &out, &errOut); code != 2 {
		t.Errorf("unknown option: code %d, want 2", code)
	}
}
