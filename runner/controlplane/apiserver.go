package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

const (
	// tokenFileName is the apiserver's static token file in the run directory.
	tokenFileName = "tokens.csv"
	// serviceAccountIssuer is the issuer and API audience of service-account tokens.
	serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
)

// apiserverOptions builds the kube-apiserver options, following upstream's
// test/e2e_node/services/apiserver.go.
func (c *ControlPlane) apiserverOptions(etcdURL string, secure net.Listener) (*options.ServerRunOptions, error) {
	o := options.NewServerRunOptions()

	o.Etcd.StorageConfig.Transport.ServerList = []string{etcdURL}

	loopback := net.IPv4(127, 0, 0, 1)
	o.SecureServing.Listener = secure
	o.SecureServing.BindAddress = loopback
	o.SecureServing.BindPort = secure.Addr().(*net.TCPAddr).Port
	o.SecureServing.ExternalAddress = loopback
	o.SecureServing.ServerCert.CertKey.CertFile = c.pki.servingCertFile
	o.SecureServing.ServerCert.CertKey.KeyFile = c.pki.servingKeyFile
	o.GenericServerRunOptions.AdvertiseAddress = loopback
	// The lease reconciler refuses a loopback advertise address.
	o.EndpointReconcilerType = "none"

	o.ServiceClusterIPRanges = c.cfg.ServiceClusterIPRange
	o.AllowPrivileged = true

	tokenFile := filepath.Join(c.dir, tokenFileName)
	if err := writeTokenFile(tokenFile, c.adminToken, c.cfg.BearerToken); err != nil {
		return nil, err
	}
	o.Authentication.TokenFile.TokenFile = tokenFile
	o.Authentication.Anonymous.Allow = false
	o.Authentication.ClientCert.ClientCA = c.pki.caFile
	o.Authentication.APIAudiences = []string{serviceAccountIssuer}
	o.Authentication.ServiceAccounts.Issuers = []string{serviceAccountIssuer}
	o.Authentication.ServiceAccounts.KeyFiles = []string{c.pki.serviceAccountPub}
	o.ServiceAccountSigningKeyFile = c.pki.serviceAccountKey
	o.Authorization.Modes = []string{"AlwaysAllow"}
	if c.cfg.RBAC {
		o.Authorization.Modes = []string{"RBAC"}
	}

	// No controller manager runs: nothing would create the default service
	// account or lift the not-ready taint.
	o.Admission.GenericAdmission.DisablePlugins = []string{"ServiceAccount", "TaintNodesByCondition"}
	o.Features.EnablePriorityAndFairness = false
	// On stop, the secure port waits for short requests, then gives the
	// connections still open 2 s instead of the request timeout (60 s): a
	// kubelet set up the upstream way keeps its watches open on it.
	o.GenericServerRunOptions.ShutdownSendRetryAfter = true

	// Node proxy refuses loopback targets; the kubelet's InternalIP routes locally.
	o.KubeletConfig.PreferredAddressTypes = []string{"InternalIP"}
	o.KubeletConfig.TLSClientConfig.CertFile, o.KubeletConfig.TLSClientConfig.KeyFile = c.KubeletClientCertFiles()
	return o, nil
}

// writeTokenFile writes the static token file: the per-run admin token and,
// if set, the caller's token, both in system:masters.
func writeTokenFile(path, adminToken, extraToken string) error {
	content := adminToken + ",node-test-admin,node-test-admin,system:masters\n"
	if extraToken != "" {
		// The user name upstream's e2e_node services give this token.
		content += extraToken + ",kubelet,kubelet,system:masters\n"
	}
	if err := writeFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// startAPIServer completes and validates o, then runs the apiserver in a
// goroutine until ctx ends. The returned channel receives Run's result and
// is closed when Run has returned.
func startAPIServer(ctx context.Context, o *options.ServerRunOptions) (<-chan error, error) {
	// app.Run would register this process-wide name itself and never
	// release it, so a second apiserver in the process could not start.
	informerName, err := cache.NewInformerName("kube-apiserver")
	if err != nil {
		return nil, fmt.Errorf("register informer name: %w", err)
	}
	o.InformerName = informerName
	// What kube-apiserver's command does right after parsing flags.
	if err := o.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		informerName.Release()
		return nil, fmt.Errorf("set component globals: %w", err)
	}
	completed, err := o.Complete(ctx)
	if err != nil {
		informerName.Release()
		return nil, fmt.Errorf("complete options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		informerName.Release()
		return nil, fmt.Errorf("validate options: %w", utilerrors.NewAggregate(errs))
	}
	done := make(chan error, 1)
	go func() {
		defer close(done)
		defer informerName.Release()
		err := apiserver.Run(ctx, completed)
		if err == nil && ctx.Err() == nil {
			err = errors.New("exited without an error")
		}
		done <- err
	}()
	return done, nil
}

// fatalGuard keeps klog's fatal and exit calls inside the apiserver from
// ending the process. The apiserver logs at fatal severity when a post-start
// hook fails, for instance when Start is cancelled while it boots. While the guard
// is installed, such a call parks the calling goroutine (it expects not to
// return) and is reported on fired instead, so the caller can tear down and
// report the error. The process-wide klog.OsExit is restored by restore.
type fatalGuard struct {
	prev  func(int)
	fired chan int
}

func installFatalGuard() *fatalGuard {
	g := &fatalGuard{prev: klog.OsExit, fired: make(chan int, 1)}
	klog.OsExit = func(code int) {
		select {
		case g.fired <- code:
		default:
		}
		select {} // park: the caller assumes the process is gone
	}
	return g
}

func (g *fatalGuard) restore() { klog.OsExit = g.prev }
