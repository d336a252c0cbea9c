package runtime

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	imageutils "k8s.io/kubernetes/test/utils/image"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// critest's counterparts: "runtime should support DNS config" and "should
// support port mapping with host port" (its Networking checks); the hosts
// file is the kubelet's, which critest does not run.
var _ = e2eframework.SIGDescribe("node")("RuntimeNetworking", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("runtime-networking")
	// A host port.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	It("should write a pod's dnsConfig into /etc/resolv.conf exactly, with dnsPolicy None", func(ctx SpecContext) {
		want := &v1.PodDNSConfig{
			Nameservers: []string{"192.0.2.10", "192.0.2.11"},
			Searches:    []string{"one.node-test.example", "two.node-test.example"},
			Options:     []v1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("3")}, {Name: "edns0"}, {Name: "timeout", Value: ptr.To("2")}},
		}
		pod := framework.BusyboxPod("dns-config", framework.BusyboxContainer("main", "cat /etc/resolv.conf 2>&1; true"))
		pod.Spec.DNSPolicy, pod.Spec.DNSConfig = v1.DNSNone, want
		resolv := framework.OutputAsWritten(ctx, f, pod)["main"]

		var nameservers, searches, options []string
		for _, line := range strings.Split(resolv, "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			switch fields[0] {
			case "nameserver":
				nameservers = append(nameservers, fields[1:]...)
			case "search":
				searches = append(searches, fields[1:]...)
			case "options":
				options = append(options, fields[1:]...)
			default:
				Fail(fmt.Sprintf("/etc/resolv.conf has a line the pod's dnsConfig does not give: %q\n%s", line, resolv))
			}
		}
		wantOptions := []string{"ndots:3", "edns0", "timeout:2"}
		Expect(nameservers).To(Equal(want.Nameservers), "the nameservers of /etc/resolv.conf are not the pod's dnsConfig's:\n%s", resolv)
		Expect(searches).To(Equal(want.Searches), "the search domains of /etc/resolv.conf are not the pod's dnsConfig's:\n%s", resolv)
		Expect(options).To(ConsistOf(wantOptions), "the options of /etc/resolv.conf are not the pod's dnsConfig's:\n%s", resolv)
	})

	It("should add a pod's hostAliases to its containers' /etc/hosts", func(ctx SpecContext) {
		pod := framework.BusyboxPod("host-aliases", framework.BusyboxContainer("main", "cat /etc/hosts 2>&1; true"))
		pod.Spec.HostAliases = []v1.HostAlias{
			{IP: "192.0.2.20", Hostnames: []string{"first.node-test.example", "second.node-test.example"}},
			{IP: "2001:db8::20", Hostnames: []string{"third.node-test.example"}},
		}
		hosts := framework.Output(ctx, f, pod)["main"]
		for _, alias := range pod.Spec.HostAliases {
			want := append([]string{alias.IP}, alias.Hostnames...)
			found := slices.ContainsFunc(strings.Split(hosts, "\n"), func(line string) bool { return slices.Equal(strings.Fields(line), want) })
			Expect(found).To(BeTrue(), "/etc/hosts has no line %q for the pod's hostAlias:\n%s", strings.Join(want, " "), hosts)
		}
	})

	It("should forward a hostPort of the node's address to the container's port", func(ctx SpecContext) {
		node, err := f.ClientSet.CoreV1().Nodes().Get(ctx, e2eframework.TestContext.NodeName, metav1.GetOptions{})
		e2eframework.ExpectNoError(err)
		address := nodeAddress(node)
		Expect(address).NotTo(BeEmpty(), "node %s reports no InternalIP address", node.Name)
		hostPort := int32(40000 + rand.Intn(5000))
		pod := framework.UseRuntimeHandler(&v1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "host-port"},
			Spec: v1.PodSpec{Containers: []v1.Container{{
				Name:            "netexec",
				Image:           imageutils.GetE2EImage(imageutils.Agnhost),
				ImagePullPolicy: v1.PullNever,
				Args:            []string{"netexec", "--http-port=8080"},
				Ports:           []v1.ContainerPort{{ContainerPort: 8080, HostPort: hostPort, Protocol: v1.ProtocolTCP}},
			}}},
		})
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		url := "http://" + net.JoinHostPort(address, strconv.Itoa(int(hostPort))) + "/hostname"
		By("asking " + url + " for the container's hostname")
		var got string
		Eventually(ctx, func(ctx context.Context) error {
			got, err = httpGet(ctx, url)
			return err
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed(),
			"host port %d of the node's address %s does not reach the container's port 8080", hostPort, address)
		Expect(got).To(Equal(pod.Name), "host port %d of the node's address %s reached something else than the pod's container", hostPort, address)
	})
})

// nodeAddress is the node's first InternalIP.
func nodeAddress(node *v1.Node) string {
	for _, a := range node.Status.Addresses {
		if a.Type == v1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// httpGet gets url and returns its body.
func httpGet(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return strings.TrimSpace(string(b)), nil
}
