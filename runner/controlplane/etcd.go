package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// startEtcd starts a single-member etcd with its data in dataDir, its
// clients served on the unix socket socket, and waits until it serves or
// fails. The socket is in the control plane's 0700 run directory: etcd
// authenticates nobody, and a TCP port, even on loopback, would let any
// local user or host-network pod write the store. Its peer port (on a free
// 127.0.0.1 port: etcd takes peers only on TCP or a socket named relative
// to its working directory) serves no client: a peer of another cluster is
// refused. Only a durable store is fsynced.
func startEtcd(ctx context.Context, dataDir, socket string, durable bool, logs io.Writer) (*embed.Etcd, string, error) {
	peerPort, err := freeLoopbackPort()
	if err != nil {
		return nil, "", err
	}
	clientURL := url.URL{Scheme: "unix", Path: socket}
	peerURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peerPort)}

	cfg := embed.NewConfig()
	cfg.Name = "node-test"
	cfg.Dir = dataDir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ListenMetricsUrls = nil
	// One throw-away member on a test node: durability buys nothing.
	cfg.UnsafeNoFsync = !durable

	encoder := zap.NewProductionEncoderConfig()
	encoder.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(encoder), zapcore.AddSync(logs), zap.InfoLevel)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.New(core))

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, clientURL.String(), nil
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-e.Server.StopNotify():
		e.Close()
		return nil, "", errors.New("stopped before it was ready")
	case <-ctx.Done():
		e.Close()
		return nil, "", fmt.Errorf("wait for etcd: %w", context.Cause(ctx))
	}
}
