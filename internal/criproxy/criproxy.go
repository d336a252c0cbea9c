package criproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// ReopenContainerLog is the full gRPC method name of CRI's
// ReopenContainerLog, the one call New can break today.
const ReopenContainerLog = "/runtime.v1.RuntimeService/ReopenContainerLog"

// ErrUnknownBreak is returned by New for a call it does not know how to break.
var ErrUnknownBreak = errors.New("criproxy: no such call to break")

// Proxy forwards the gRPC calls made on its socket to the runtime's.
type Proxy struct {
	log      *slog.Logger
	runtime  *grpc.ClientConn
	server   *grpc.Server
	listener net.Listener
	breaks   map[string]bool
	done     chan error
}

// New listens on the unix socket at socket (replacing a stale one) and
// forwards to the runtime at runtimeSocket, answering the calls named in
// breaks (full method names, such as ReopenContainerLog) itself.
func New(log *slog.Logger, socket, runtimeSocket string, breaks ...string) (p *Proxy, err error) {
	p = &Proxy{log: log, breaks: map[string]bool{}, done: make(chan error, 1)}
	for _, b := range breaks {
		if b != ReopenContainerLog {
			return nil, fmt.Errorf("%w: %s (known: %s)", ErrUnknownBreak, b, ReopenContainerLog)
		}
		p.breaks[b] = true
	}
	p.runtime, err = grpc.NewClient("unix://"+runtimeSocket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(frameCodec{})))
	if err != nil {
		return nil, fmt.Errorf("dial the runtime at %s: %w", runtimeSocket, err)
	}
	defer func() {
		if err != nil {
			_ = p.runtime.Close()
		}
	}()
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return nil, fmt.Errorf("create the directory of %s: %w", socket, err)
	}
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove the stale socket %s: %w", socket, err)
	}
	p.listener, err = net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", socket, err)
	}
	p.server = grpc.NewServer(grpc.ForceServerCodec(frameCodec{}), grpc.UnknownServiceHandler(p.forward))
	go func() { p.done <- p.server.Serve(p.listener) }()
	return p, nil
}

// Err reports the server's end: nil after Stop, or why it failed.
func (p *Proxy) Err() <-chan error { return p.done }

// Stop stops serving, 1. refusing new calls and cutting those in flight,
// then 2. closing the connection to the runtime.
func (p *Proxy) Stop() error {
	p.server.Stop()
	return p.runtime.Close()
}

// forward serves any call, unary or streaming: the messages go through as
// they are, both ways, until the runtime's side ends; its status is the
// caller's.
func (p *Proxy) forward(_ any, in grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(in)
	if !ok {
		return fmt.Errorf("criproxy: a call without a method")
	}
	if p.breaks[method] {
		return p.answerEmpty(method, in)
	}
	md, _ := metadata.FromIncomingContext(in.Context())
	md = md.Copy()
	for _, k := range []string{":authority", "content-type", "user-agent"} {
		md.Delete(k)
	}
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(in.Context(), md))
	defer cancel()
	out, err := p.runtime.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}
	// A caller's side that breaks off cancels the runtime's, which ends
	// the loop below however few messages the runtime has sent.
	go func() {
		if err := pump(in, out); err != nil {
			cancel()
		}
	}()
	// Header waits for the runtime's headers; a call that fails before
	// them has none, and its status comes with RecvMsg.
	if h, err := out.Header(); err == nil {
		if err := in.SendHeader(h); err != nil {
			return err
		}
	}
	for {
		f := &frame{}
		if err := out.RecvMsg(f); err != nil {
			in.SetTrailer(out.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := in.SendMsg(f); err != nil {
			return err
		}
	}
}

// pump sends what the caller sends on to the runtime, closing the runtime's
// side when the caller has sent all.
func pump(in grpc.ServerStream, out grpc.ClientStream) error {
	for {
		f := &frame{}
		if err := in.RecvMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				return out.CloseSend()
			}
			return err
		}
		if err := out.SendMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				// The runtime has ended the call: its status is read on the other side.
				return nil
			}
			return err
		}
	}
}

// answerEmpty reads the caller's request and answers an empty response
// (every field at its zero value: a success for ReopenContainerLog)
// without the runtime seeing the call.
func (p *Proxy) answerEmpty(method string, in grpc.ServerStream) error {
	f := &frame{}
	if err := in.RecvMsg(f); err != nil {
		return err
	}
	p.log.Info("answered without the runtime", slog.String("method", method[strings.LastIndex(method, "/")+1:]))
	return in.SendMsg(&frame{})
}

// frame is one gRPC message, its bytes as they came.
type frame struct{ data []byte }

// frameCodec passes messages through undecoded. Named "proto", it leaves
// the calls' content type as the runtime expects it.
type frameCodec struct{}

func (frameCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("criproxy: cannot send a %T", v)
	}
	return f.data, nil
}

func (frameCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("criproxy: cannot receive into a %T", v)
	}
	f.data = append(f.data[:0], data...)
	return nil
}

func (frameCodec) Name() string { return "proto" }
