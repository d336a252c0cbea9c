package framework

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
)

// OutputTimeout bounds how long a pod run for its output may take to end.
const OutputTimeout = 3 * time.Minute

// Output creates pod in the framework's namespace, waits for it to end
// successfully and returns the log of each of its containers, by name. The
// pod's restart policy is set to Never. A pod that fails makes the spec fail
// with its containers' logs, which say what they saw. On return, pod is the
// pod as the API server last reported it.
func Output(ctx context.Context, f *e2eframework.Framework, pod *v1.Pod) map[string]string {
	return output(ctx, f, pod, func() { *pod = *e2epod.NewPodClient(f).Create(ctx, pod) })
}

// OutputAsWritten is Output for a pod created as written, only bound to the
// node under test: the framework's pod client sets every pod's dnsPolicy to
// Default (upstream's node suite has no cluster DNS).
func OutputAsWritten(ctx context.Context, f *e2eframework.Framework, pod *v1.Pod) map[string]string {
	return output(ctx, f, pod, func() {
		pod.Spec.NodeName = e2eframework.TestContext.NodeName
		created, err := f.ClientSet.CoreV1().Pods(f.Namespace.Name).Create(ctx, pod, metav1.CreateOptions{})
		e2eframework.ExpectNoError(err, "create pod %s", pod.Name)
		*pod = *created
	})
}

func output(ctx context.Context, f *e2eframework.Framework, pod *v1.Pod, create func()) map[string]string {
	pod.Spec.RestartPolicy = v1.RestartPolicyNever
	create()
	err := e2epod.WaitForPodSuccessInNamespaceTimeout(ctx, f.ClientSet, pod.Name, f.Namespace.Name, OutputTimeout)
	if got, gerr := f.ClientSet.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); gerr == nil {
		*pod = *got
	}
	logs := map[string]string{}
	for _, c := range pod.Spec.Containers {
		log, lerr := e2epod.GetPodLogs(ctx, f.ClientSet, f.Namespace.Name, pod.Name, c.Name)
		if lerr != nil && err == nil {
			e2eframework.ExpectNoError(lerr, "get the log of container %s of pod %s", c.Name, pod.Name)
		}
		logs[c.Name] = log
	}
	if err != nil {
		var b strings.Builder
		for name, log := range logs {
			fmt.Fprintf(&b, "\n--- log of container %s:\n%s", name, log)
		}
		e2eframework.Failf("pod %s did not end successfully: %v%s", pod.Name, err, b.String())
	}
	return logs
}

// ProcStatus is /proc/<pid>/status as its process saw it: field name to
// value, whitespace trimmed.
type ProcStatus map[string]string

// ParseProcStatus parses the text of /proc/<pid>/status.
func ParseProcStatus(text string) ProcStatus {
	s := ProcStatus{}
	for _, line := range strings.Split(text, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok {
			s[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	return s
}

// Mask returns a hexadecimal mask field, such as CapEff.
func (s ProcStatus) Mask(field string) (uint64, error) {
	v, ok := s[field]
	if !ok {
		return 0, fmt.Errorf("/proc/self/status has no %s field", field)
	}
	m, err := strconv.ParseUint(v, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/status field %s: %w", field, err)
	}
	return m, nil
}

// IDs returns a field listing ids, such as Uid (real, effective, saved,
// filesystem) or Groups.
func (s ProcStatus) IDs(field string) ([]int64, error) {
	v, ok := s[field]
	if !ok {
		return nil, fmt.Errorf("/proc/self/status has no %s field", field)
	}
	var ids []int64
	for _, f := range strings.Fields(v) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/self/status field %s: %w", field, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Capabilities are the Linux capabilities a container can be given, by bit
// number in the masks of /proc/<pid>/status, as named in a pod spec.
var Capabilities = map[string]uint{
	"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4,
	"KILL": 5, "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9,
	"NET_BIND_SERVICE": 10, "NET_BROADCAST": 11, "NET_ADMIN": 12, "NET_RAW": 13,
	"IPC_LOCK": 14, "IPC_OWNER": 15, "SYS_MODULE": 16, "SYS_RAWIO": 17, "SYS_CHROOT": 18,
	"SYS_PTRACE": 19, "SYS_PACCT": 20, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23,
	"SYS_RESOURCE": 24, "SYS_TIME": 25, "SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28,
	"AUDIT_WRITE": 29, "AUDIT_CONTROL": 30, "SETFCAP": 31, "MAC_OVERRIDE": 32,
	"MAC_ADMIN": 33, "SYSLOG": 34, "WAKE_ALARM": 35, "BLOCK_SUSPEND": 36,
	"AUDIT_READ": 37, "PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40,
}

// capabilityByBit names the capabilities by bit number.
var capabilityByBit = func() map[uint]string {
	byBit := map[uint]string{}
	for name, bit := range Capabilities {
		byBit[bit] = name
	}
	return byBit
}()

// CapabilityNames returns the names of the capabilities in mask, in bit
// order; a bit with no name is shown as its number.
func CapabilityNames(mask uint64) []string {
	var names []string
	for bit := uint(0); bit < 64; bit++ {
		if mask&(1<<bit) == 0 {
			continue
		}
		if name, ok := capabilityByBit[bit]; ok {
			names = append(names, name)
		} else {
			names = append(names, strconv.Itoa(int(bit)))
		}
	}
	return names
}

// CapabilityMask returns the mask of the named capabilities.
func CapabilityMask(names ...v1.Capability) (uint64, error) {
	var m uint64
	for _, name := range names {
		bit, ok := Capabilities[strings.TrimPrefix(string(name), "CAP_")]
		if !ok {
			return 0, fmt.Errorf("unknown capability %s", name)
		}
		m |= 1 << bit
	}
	return m, nil
}

// Mount is one line of /proc/<pid>/mountinfo.
type Mount struct {
	// Point is where it is mounted.
	Point string
	// Options are the per-mount options: rw or ro, nosuid, ….
	Options []string
	// FSType is the filesystem type: overlay, tmpfs, ext4, ….
	FSType string
}

// ReadOnly reports whether the mount is read-only.
func (m Mount) ReadOnly() bool {
	for _, o := range m.Options {
		if o == "ro" {
			return true
		}
	}
	return false
}

// ParseMountInfo parses the text of /proc/<pid>/mountinfo into the mounts
// by mount point; of several mounts on one point, the last, visible one.
func ParseMountInfo(text string) (map[string]Mount, error) {
	mounts := map[string]Mount{}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		before, after, ok := strings.Cut(line, " - ")
		fields, tail := strings.Fields(before), strings.Fields(after)
		if !ok || len(fields) < 6 || len(tail) < 1 {
			return nil, fmt.Errorf("mountinfo line %q: not in the kernel's format", line)
		}
		point := unescapeOctal(fields[4])
		mounts[point] = Mount{Point: point, Options: strings.Split(fields[5], ","), FSType: tail[0]}
	}
	return mounts, nil
}

// unescapeOctal undoes the kernel's \NNN escapes of spaces and the like in
// mountinfo paths.
func unescapeOctal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// KeyValues parses lines of key=value, as the specs' scripts print them.
func KeyValues(text string) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return kv
}

// FailUnless fails the spec when err, from an assertion of
// e2eframework.Gomega(), is set: with message, the behaviour that broke,
// first, so that the report's one-line summary names it.
func FailUnless(err error, message string) {
	ginkgo.GinkgoHelper()
	if err != nil {
		ginkgo.Fail(message + "\n" + err.Error())
	}
}
