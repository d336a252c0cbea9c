package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestNcUDPAsTheDialHelperUsesIt(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 100)
		n, from, err := pc.ReadFrom(buf)
		if err == nil && strings.TrimSpace(string(buf[:n])) == "hostName" {
			pc.WriteTo([]byte("netserver-0"), from)
		}
	}()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	var out, errOut bytes.Buffer
	code := run([]string{"-w", "1", "-u", "127.0.0.1", port}, strings.NewReader("hostName\n"), &out, &errOut)
	if code != 0 || out.String() != "netserver-0" {
		t.Fatalf("code %d out %q err %q", code, out.String(), errOut.String())
	}
}

func TestNcTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 100)
		n, _ := c.Read(buf)
		c.Write(bytes.ToUpper(buf[:n]))
		c.Close()
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	var out, errOut bytes.Buffer
	if code := run([]string{"-w", "2", "127.0.0.1", port}, strings.NewReader("hello"), &out, &errOut); code != 0 || out.String() != "HELLO" {
		t.Fatalf("code %d out %q err %q", code, out.String(), errOut.String())
	}
	l.Close()
	if code := run([]string{"-vz", "-w", "1", "127.0.0.1", port}, strings.NewReader(""), &out, &errOut); code != 1 {
		t.Errorf("closed port: code %d, want 1", code)
	}
}
