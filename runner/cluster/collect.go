package cluster

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
)

var jsonUnmarshal = json.Unmarshal

// collect copies the pod's report directory into dir: node-test
// report-archive in the pod writes it as a tar stream, which is unpacked
// here.
func (r *run) collect(ctx context.Context, pod, dir string) error {
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := r.exec(ctx, pod, pw, &stderr, "/usr/local/bin/node-test", "report-archive", ReportPath)
		pw.CloseWithError(err)
		done <- err
	}()
	n, uerr := Untar(pr, dir)
	pr.CloseWithError(errors.New("stop"))
	if err := <-done; err != nil {
		return fmt.Errorf("node-test report-archive in the pod: %w %s", err, strings.TrimSpace(stderr.String()))
	}
	if uerr != nil {
		return uerr
	}
	if n == 0 {
		return fmt.Errorf("the pod's report directory is empty %s", strings.TrimSpace(stderr.String()))
	}
	return nil
}

// interrupt interrupts the node's run in its pod (node-test interrupt): it
// writes its report of what ran, tears down and holds the report.
func (r *run) interrupt(ctx context.Context, pod string) error {
	// It prints only its error, to stderr: the two streams are copied
	// apart, each into a writer of its own.
	var stderr bytes.Buffer
	if err := r.exec(ctx, pod, io.Discard, &stderr, "/usr/local/bin/node-test", "interrupt"); err != nil {
		return fmt.Errorf("node-test interrupt in the pod: %w %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// exec runs command in the pod's container, its output to stdout and
// stderr.
func (r *run) exec(ctx context.Context, pod string, stdout, stderr io.Writer, command ...string) error {
	req := r.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(r.ns).Name(pod).SubResource("exec").
		VersionedParams(&v1.PodExecOptions{Container: container, Command: command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(r.rest, "POST", req.URL())
	if err != nil {
		return err
	}
	ws, err := remotecommand.NewWebSocketExecutor(r.rest, "GET", req.URL().String())
	if err != nil {
		return err
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool { return true })
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
}

// Untar unpacks the tar stream into dir, directories and regular files
// only, none outside dir; it returns how many files it wrote.
func Untar(in io.Reader, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	tr := tar.NewReader(in)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read the report archive: %w", err)
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if name == "." {
			continue
		}
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return n, fmt.Errorf("the report archive names %q, outside its directory", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return n, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return n, err
			}
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return n, err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return n, fmt.Errorf("write %s: %w", target, err)
			}
			n++
		}
	}
}

// Archive writes dir as a tar stream to w: its directories and regular
// files, with names relative to dir.
func Archive(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return nil
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("archive %s: %w", dir, err)
	}
	return tw.Close()
}
