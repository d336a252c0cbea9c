package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/host"
)

// maxHostLogBytes bounds each daemon log a run copies: the last bytes are
// kept.
const maxHostLogBytes = 64 << 20

// hostLogsPhase marks, before anything starts, where the logs of the
// kubelet, of the container runtime's daemons and of the kernel stand; once
// the run ends, on every path, it copies what they logged since into the
// report directory (kubelet.log, containerd.log, kern.log, …). A log it
// cannot find or read is reported, and fails nothing: the logs explain a
// run, they do not certify the node.
type hostLogsPhase struct {
	daemons []daemonLog
	kernel  *uint64
}

// daemonLog is one host daemon whose log the run copies.
type daemonLog struct {
	name string
	mark host.LogMark
}

func (*hostLogsPhase) Name() string { return "host logs" }

func (p *hostLogsPhase) Run(ctx context.Context, rc *RunContext) error {
	names := []string{"kubelet"}
	if r, err := rc.Host.Runtime(""); err == nil {
		names = append(names, results.RuntimeDaemons[r.Name]...)
	}
	procs, err := rc.Host.Processes()
	for _, name := range names {
		file := results.DaemonLogFile(name)
		proc, ok := rc.Host.FindDaemon(procs, name)
		switch {
		case err != nil:
			notCollected(rc, file, err)
			continue
		case !ok:
			notCollected(rc, file, fmt.Errorf("no %s process on the host", name))
			continue
		}
		src, err := rc.Host.ProcessLogSource(proc)
		if err != nil {
			notCollected(rc, file, err)
			continue
		}
		p.daemons = append(p.daemons, daemonLog{name: name, mark: rc.Host.MarkLog(src)})
		rc.Logger.Info("host log: collected at the end of the run", "log", file, "from", src.String())
	}
	if seq, err := rc.Host.KernelLogMark(); err != nil {
		notCollected(rc, results.KernelLogFile, err)
	} else {
		p.kernel = &seq
	}
	return nil
}

// Stop copies the logs: it runs last, after the control plane stopped.
func (p *hostLogsPhase) Stop(ctx context.Context, rc *RunContext) error {
	collect := func(file, from string, copy func(io.Writer) error) {
		if err := writeFileWith(filepath.Join(rc.Config.ReportDir, file), copy); err != nil {
			notCollected(rc, file, fmt.Errorf("%s: %w", from, err))
			return
		}
		rc.About.HostLogs = append(rc.About.HostLogs, file+" from "+from)
	}
	// A daemon that restarted during the run is a finding of its own, and its
	// journal is read for its new process too.
	procs, procsErr := rc.Host.Processes()
	for _, d := range p.daemons {
		if procsErr == nil {
			was := d.mark.Source.PID
			switch now, ok := rc.Host.FindDaemon(procs, d.name); {
			case !ok:
				restarted(rc, fmt.Sprintf("%s (pid %d) is gone at the end of the run", d.name, was))
			case now.PID != was:
				restarted(rc, fmt.Sprintf("%s restarted during the run: pid %d, then %d", d.name, was, now.PID))
				d.mark.LaterPIDs = append(d.mark.LaterPIDs, now.PID)
			}
		}
		collect(results.DaemonLogFile(d.name), d.mark.Source.String(), func(w io.Writer) error {
			return rc.Host.CopyLogSince(ctx, d.mark, w, maxHostLogBytes)
		})
	}
	if p.kernel != nil {
		collect(results.KernelLogFile, "/dev/kmsg", func(w io.Writer) error { return rc.Host.CopyKernelLogSince(*p.kernel, w) })
	}
	return nil
}

// restarted reports a daemon that did not run through the run as one
// process, in the run's output and its summary.
func restarted(rc *RunContext, what string) {
	rc.Logger.Warn("host daemon: " + what)
	rc.About.Restarts = append(rc.About.Restarts, what)
}

// notCollected reports a host log the run does not collect, and why, in
// its output and its summary.
func notCollected(rc *RunContext, file string, why error) {
	rc.Logger.Warn("host log: not collected", "log", file, "why", why.Error())
	rc.About.HostLogs = append(rc.About.HostLogs, fmt.Sprintf("no %s (%v)", file, why))
}

// writeFileWith creates file and fills it with write.
func writeFileWith(file string, write func(io.Writer) error) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
