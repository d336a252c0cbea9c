package host

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
)

// Cmder runs commands on the host.
type Cmder interface {
	Command(ctx context.Context, name string, args ...string) Cmd
}

// Cmd is one command to run.
type Cmd interface {
	// Output runs the command and returns its standard output; a failure is a
	// *RunError carrying the combined output.
	Output() ([]byte, error)
}

// RunError is a command that failed, with what it printed.
type RunError struct {
	Command []string
	Output  []byte
	Inner   error
}

func (e *RunError) Error() string {
	return fmt.Sprintf("run %s: %v: %s", strings.Join(e.Command, " "), e.Inner, strings.TrimSpace(string(e.Output)))
}

func (e *RunError) Unwrap() error { return e.Inner }

// LocalCmder runs commands on the host from this process: directly when the
// rootfs is /, else chrooted into it (the child process is, by the kernel:
// the image has no chroot program). Under a rootfs, name must be the host's
// absolute path of the program.
type LocalCmder struct {
	Root string
}

// Command implements Cmder.
func (c LocalCmder) Command(ctx context.Context, name string, args ...string) Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	if c.Root != "" && c.Root != "/" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: c.Root}
		cmd.Dir = "/"
	}
	return &localCmd{cmd: cmd, argv: append([]string{name}, args...)}
}

type localCmd struct {
	cmd  *exec.Cmd
	argv []string
}

func (c *localCmd) Output() ([]byte, error) {
	var stdout, stderr bytes.Buffer
	c.cmd.Stdout, c.cmd.Stderr = &stdout, &stderr
	if err := c.cmd.Run(); err != nil {
		return stdout.Bytes(), &RunError{Command: c.argv, Output: append(stdout.Bytes(), stderr.Bytes()...), Inner: err}
	}
	return stdout.Bytes(), nil
}
