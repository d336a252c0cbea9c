package host

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
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
// rootfs is /, else chrooted into it.
type LocalCmder struct {
	Root string
}

// Command implements Cmder.
func (c LocalCmder) Command(ctx context.Context, name string, args ...string) Cmd {
	argv := append([]string{name}, args...)
	if c.Root != "" && c.Root != "/" {
		argv = append([]string{"chroot", c.Root}, argv...)
	}
	return &localCmd{cmd: exec.CommandContext(ctx, argv[0], argv[1:]...), argv: argv}
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
