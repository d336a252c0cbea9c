// Command nc is the netcat the agnhost image carries for the specs that run
// `nc` inside a container (the e2e framework's UDP and TCP dial helpers:
// `echo hostName | nc -w 1 -u HOST PORT`). It implements the part of
// OpenBSD netcat's command line those specs use: -u (UDP), -w SECONDS
// (connect and idle timeout), -z (only check that a TCP port accepts), -v.
// Standard input is sent, replies are written to standard output.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type options struct {
	udp, zero, verbose bool
	wait               time.Duration
	host, port         string
}

func parse(args []string) (*options, error) {
	o := &options{}
	var pos []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-u":
			o.udp = true
		case "-z":
			o.zero = true
		case "-v":
			o.verbose = true
		case "-vz", "-zv":
			o.zero, o.verbose = true, true
		case "-w":
			if i+1 >= len(args) {
				return nil, errors.New("-w needs seconds")
			}
			i++
			s, err := strconv.ParseFloat(args[i], 64)
			if err != nil {
				return nil, fmt.Errorf("-w %s: %w", args[i], err)
			}
			o.wait = time.Duration(s * float64(time.Second))
		default:
			if len(a) > 1 && a[0] == '-' {
				return nil, fmt.Errorf("unknown option %s", a)
			}
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 {
		return nil, errors.New("usage: nc [-uvz] [-w seconds] host port")
	}
	o.host, o.port = pos[0], pos[1]
	return o, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "nc: %v\n", err)
		return 2
	}
	network := "tcp"
	if o.udp {
		network = "udp"
	}
	addr := net.JoinHostPort(o.host, o.port)
	conn, err := net.DialTimeout(network, addr, o.wait)
	if err != nil {
		if o.verbose {
			fmt.Fprintf(stderr, "nc: connect to %s (%s) failed: %v\n", addr, network, err)
		}
		return 1
	}
	defer conn.Close()
	if o.verbose {
		fmt.Fprintf(stderr, "Connection to %s %s port [%s] succeeded!\n", o.host, o.port, network)
	}
	if o.zero {
		return 0
	}
	if o.udp {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return 1
		}
		if _, err := conn.Write(data); err != nil {
			fmt.Fprintf(stderr, "nc: %v\n", err)
			return 1
		}
	} else {
		go func() {
			_, _ = io.Copy(conn, stdin)
			if c, ok := conn.(*net.TCPConn); ok {
				_ = c.CloseWrite()
			}
		}()
	}
	// Replies until the peer closes, or nothing arrives for -w seconds.
	buf := make([]byte, 64<<10)
	for {
		if o.wait > 0 {
			_ = conn.SetReadDeadline(time.Now().Add(o.wait))
		}
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := stdout.Write(buf[:n]); werr != nil {
				return 1
			}
		}
		if err != nil {
			var ne net.Error
			if errors.Is(err, io.EOF) || (errors.As(err, &ne) && ne.Timeout()) {
				return 0
			}
			return 1
		}
	}
}
