package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	kubectlexec "k8s.io/kubectl/pkg/cmd/exec"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"

	"github.com/node-test/node-test/suites/framework"
)

// The terminal size the exec spec's client asks for.
const ttyRows, ttyColumns = 37, 111

// streamTimeout bounds each stream a spec opens: the kubelet and the
// runtime's streaming server answer in well under a second on a sound node.
const streamTimeout = time.Minute

// What kubectl exec -it, kubectl attach -it and kubectl port-forward do,
// through the API server's pod subresources, the kubelet and the runtime's
// streaming server (CRI Exec, Attach, PortForward). critest: "runtime
// should support exec with tty=true and stdin=true", "runtime should
// support attach", "runtime should support portforward", there against
// the runtime's streaming server alone.
var _ = e2eframework.SIGDescribe("node")("ContainerStreams", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("container-streams")
	f.NamespacePodSecurityLevel = admissionapi.LevelBaseline

	It("should exec a command with a TTY of the client's size, its stdin and the container's environment", func(ctx SpecContext) {
		pod := framework.BusyboxPod("exec-tty", framework.BusyboxContainer("main", "exec sleep 3600"))
		pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "STREAMS_FROM_POD", Value: "set-by-the-pod"}}
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		// The size reaches the terminal after the process started: the
		// script waits for it a few seconds before it reports (busybox's
		// stty prints no size, only an error, for a terminal of 0 rows).
		script := `for i in $(seq 50); do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.1; done
echo "tty=$(tty)"
echo "size=$s"
echo "env=$STREAMS_FROM_POD"
read -r line
echo "stdin=$line"`
		stdin, in := io.Pipe()
		go func() {
			defer GinkgoRecover()
			_, _ = in.Write([]byte("typed-into-the-tty\n"))
		}()
		var b syncBuffer
		err := stream(ctx, f, pod.Name, "exec", &v1.PodExecOptions{
			Container: "main", Command: []string{"sh", "-c", script}, Stdin: true, Stdout: true, TTY: true,
		}, stdin, &b, &fixedSize{size: remotecommand.TerminalSize{Width: ttyColumns, Height: ttyRows}})
		in.Close()
		out := b.String()
		framework.FailUnless(err, fmt.Sprintf("exec with a TTY failed; the client read %q", out))
		got := framework.KeyValues(strings.ReplaceAll(out, "\r", ""))
		if !strings.HasPrefix(got["tty"], "/dev/pts/") {
			e2eframework.Failf("the exec'd process has no terminal: tty printed %q, not a /dev/pts device\n%s", got["tty"], out)
		}
		if want := fmt.Sprintf("%d %d", ttyRows, ttyColumns); got["size"] != want {
			e2eframework.Failf("the exec'd process's terminal is %q rows and columns, not the %q the client asked for\n%s", got["size"], want, out)
		}
		if got["env"] != "set-by-the-pod" {
			e2eframework.Failf("the exec'd process lacks the container's environment: STREAMS_FROM_POD is %q, not set-by-the-pod\n%s", got["env"], out)
		}
		if got["stdin"] != "typed-into-the-tty" {
			e2eframework.Failf("the exec'd process read %q from its terminal, not what the client typed\n%s", got["stdin"], out)
		}
	})

	It("should attach to a running container's TTY: what the client types reaches its process, what it prints reaches the client", func(ctx SpecContext) {
		c := framework.BusyboxContainer("main", `while read -r line; do echo "heard:$line"; [ "$line" = bye ] && exit 0; done; exit 3`)
		c.Stdin, c.TTY = true, true
		pod := framework.BusyboxPod("attach-tty", c)
		pod.Spec.RestartPolicy = v1.RestartPolicyNever
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		stdin, in := io.Pipe()
		out := &syncBuffer{}
		go func() {
			defer GinkgoRecover()
			defer in.Close()
			// What is typed before the attach is open reaches no reader:
			// the client types hello until it hears it back, then bye.
			for range 40 {
				if _, err := in.Write([]byte("hello\n")); err != nil {
					return
				}
				time.Sleep(250 * time.Millisecond)
				if strings.Contains(out.String(), "heard:hello") {
					break
				}
			}
			// Closing stdin detaches: the client waits for the answer first
			// (the container then exits, which ends the stream).
			_, _ = in.Write([]byte("bye\n"))
			for range 40 {
				if strings.Contains(out.String(), "heard:bye") {
					return
				}
				time.Sleep(250 * time.Millisecond)
			}
		}()
		err := stream(ctx, f, pod.Name, "attach", &v1.PodAttachOptions{Container: "main", Stdin: true, Stdout: true, TTY: true}, stdin, out, nil)
		clean := strings.ReplaceAll(out.String(), "\r", "")
		if !strings.Contains(clean, "heard:hello\n") || !strings.Contains(clean, "heard:bye\n") {
			e2eframework.Failf("the attached container's process did not answer what the client typed (stream: %v): the client read %q", err, out.String())
		}
		framework.FailUnless(e2epod.WaitForPodSuccessInNamespaceTimeout(ctx, f.ClientSet, pod.Name, f.Namespace.Name, streamTimeout),
			"the container did not exit 0 after reading bye from its attached TTY")
	})

	It("should forward a port of a pod through the kubelet to a server in the pod's network namespace", func(ctx SpecContext) {
		pod := e2epod.NewAgnhostPod(f.Namespace.Name, "port-forward", nil, nil, nil, "netexec", "--http-port=8080")
		pod.Spec.Containers[0].ImagePullPolicy = v1.PullNever
		pod = e2epod.NewPodClient(f).CreateSync(ctx, framework.UseRuntimeHandler(pod))

		client := &http.Client{Transport: e2epod.NewTransport(f.ClientSet, f.ClientConfig()), Timeout: streamTimeout}
		url := fmt.Sprintf("http://%s.%s:8080/hostname", f.Namespace.Name, pod.Name)
		resp, err := client.Get(url)
		framework.FailUnless(err, "port-forward to port 8080 of the pod did not reach its server")
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		e2eframework.ExpectNoError(err, "read the answer through port-forward")
		Expect(strings.TrimSpace(string(body))).To(Equal(pod.Name), "the server behind the forwarded port answered %q, not the pod's hostname", body)
	})
})

// stream opens the pod's exec or attach subresource (opts saying which
// container, what to run and which streams) with a TTY, which merges
// stdout and stderr, feeds it stdin and copies what it reads into out until
// the stream ends.
func stream(ctx context.Context, f *e2eframework.Framework, pod, subresource string, opts apiruntime.Object, stdin io.Reader, out io.Writer, size remotecommand.TerminalSizeQueue) error {
	ctx, cancel := context.WithTimeout(ctx, streamTimeout)
	defer cancel()
	req := f.ClientSet.CoreV1().RESTClient().Post().Resource("pods").Namespace(f.Namespace.Name).Name(pod).SubResource(subresource)
	req.VersionedParams(opts, scheme.ParameterCodec)
	return (&kubectlexec.DefaultRemoteExecutor{}).ExecuteWithContext(ctx, req.URL(), f.ClientConfig(), stdin, out, nil, true, size)
}

// syncBuffer is a buffer one goroutine writes while another reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixedSize is a terminal of one size, never resized.
type fixedSize struct {
	size remotecommand.TerminalSize
	sent bool
}

func (s *fixedSize) Next() *remotecommand.TerminalSize {
	if s.sent {
		return nil
	}
	s.sent = true
	return &s.size
}
