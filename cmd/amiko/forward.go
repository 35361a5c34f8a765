package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// forwards are the -L, -R and -D forwardings of a run: their listeners
// and the connections they carry, all ended by stop.
type forwards struct {
	mu        sync.Mutex
	listeners []net.Listener
	conns     map[net.Conn]string // what a spliced connection carries, for ~#
	closed    bool
	wg        sync.WaitGroup
	// cancel ends the channel opens still waiting for the server, so
	// that stop does not wait for a server that stopped answering.
	cancel context.CancelFunc
}

// track records c so that stop closes it; false if stop already ran.
func (f *forwards) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = ""
	return true
}

func (f *forwards) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

// list describes the connections being forwarded, one line each, for
// the ~# escape.
func (f *forwards) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lines []string
	for _, d := range f.conns {
		if d != "" {
			lines = append(lines, d)
		}
	}
	slices.Sort(lines)
	return lines
}

// stop closes every listener and connection and waits for their
// goroutines.
func (f *forwards) stop() {
	f.cancel()
	f.mu.Lock()
	f.closed = true
	for _, l := range f.listeners {
		l.Close()
	}
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// forwardError ends the run when a forwarding could not be set up
// and ExitOnForwardFailure is set.
type forwardError struct {
	kind, spec string
	err        error
}

func (e *forwardError) Error() string {
	return fmt.Sprintf("%s forwarding %s failed: %v", e.kind, e.spec, e.err)
}
func (e *forwardError) Unwrap() error { return e.err }

// startForwards sets up every -L, -R and -D. A forwarding that fails is
// a warning (ssh's default), or the end of the run with
// ExitOnForwardFailure. A changed host key (StrictHostKeyChecking=no)
// switches forwarding off, as in OpenSSH.
func (r *runner) startForwards(ctx context.Context, inv *invocation, ch *chain, log *slog.Logger) (*forwards, error) {
	cfg := inv.cfg
	f := &forwards{conns: map[net.Conn]string{}}
	ctx, f.cancel = context.WithCancel(ctx)
	if ch.changed {
		return f, nil
	}
	client := ch.dest()
	fail := func(kind, spec string, err error) error {
		if cfg.ExitOnForwardFailure {
			f.stop()
			return &forwardError{kind: kind, spec: spec, err: err}
		}
		if cfg.LogLevel >= logError {
			fmt.Fprintf(r.stderr, "Warning: %s forwarding %s failed: %s\n", kind, spec, printable(err.Error()))
		}
		return nil
	}
	// listen opens the listeners for -L or -D and registers them with f
	// and the first with the runner.
	listen := func(spec string, fs forwardSpec) ([]net.Listener, error) {
		ls, err := listenAll(ctx, localBind(fs, cfg.GatewayPorts), fs.Port)
		if err != nil {
			return nil, err
		}
		f.listeners = append(f.listeners, ls...)
		if r.listening != nil {
			r.listening(spec, ls[0].Addr())
		}
		return ls, nil
	}
	for _, spec := range cfg.LocalForwards {
		fs, _ := parseForward(spec) // checked when the option was read
		ls, err := listen(spec, fs)
		if err != nil {
			if err := fail("local", spec, err); err != nil {
				return nil, err
			}
			continue
		}
		target := net.JoinHostPort(fs.Host, strconv.Itoa(fs.HostPort))
		log.Debug("amiko: local forwarding", "listen", listenerAddrs(ls), "to", target)
		if fs.Port == 0 {
			r.infof(cfg)("Allocated port %d for local forward to %s", ls[0].Addr().(*net.TCPAddr).Port, target)
		}
		f.serveAll(ls, func(local net.Conn) {
			remote, err := client.Dial(ctx, "tcp", target)
			if err != nil {
				r.infof(cfg)("channel: open failed for %s: %s", target, printable(err.Error()))
				local.Close()
				return
			}
			f.splice(local, remote)
		})
	}
	for _, spec := range cfg.DynamicForwards {
		fs, _ := parseDynamicForward(spec)
		ls, err := listen(spec, fs)
		if err != nil {
			if err := fail("dynamic", spec, err); err != nil {
				return nil, err
			}
			continue
		}
		log.Debug("amiko: dynamic forwarding", "listen", listenerAddrs(ls))
		if fs.Port == 0 {
			r.infof(cfg)("Allocated port %d for dynamic forward", ls[0].Addr().(*net.TCPAddr).Port)
		}
		dial := func(ctx context.Context, addr string) (net.Conn, error) { return client.Dial(ctx, "tcp", addr) }
		f.serveAll(ls, func(local net.Conn) {
			remote, err := socksConnect(ctx, local, dial)
			var oe *socksOpenError
			switch {
			case errors.As(err, &oe):
				r.infof(cfg)("channel: open failed for %s: %s", printable(oe.target), printable(oe.err.Error()))
			case err != nil:
				log.Debug("amiko: SOCKS request not served", "from", local.RemoteAddr().String(), "err", err)
			default:
				f.splice(local, remote)
			}
		})
	}
	for _, spec := range cfg.RemoteForwards {
		fs, _ := parseForward(spec)
		bind := "localhost" // OpenSSH's channel_rfwd_bind_host
		if fs.BindSet {
			bind = fs.Bind
			if bind == "*" {
				bind = ""
			}
		}
		l, err := client.Listen(ctx, "tcp", net.JoinHostPort(bind, strconv.Itoa(fs.Port)))
		if err != nil {
			if err := fail("remote", spec, err); err != nil {
				return nil, err
			}
			continue
		}
		target := net.JoinHostPort(fs.Host, strconv.Itoa(fs.HostPort))
		log.Debug("amiko: remote forwarding", "listen", l.Addr().String(), "to", target)
		if fs.Port == 0 {
			r.infof(cfg)("Allocated port %s for remote forward to %s", portOf(l.Addr()), target)
		}
		f.listeners = append(f.listeners, l)
		if r.listening != nil {
			r.listening(spec, l.Addr())
		}
		f.wg.Add(1)
		go f.serve(l, func(remote net.Conn) {
			d := net.Dialer{Timeout: 30 * time.Second}
			local, err := d.DialContext(ctx, "tcp", target)
			if err != nil {
				r.infof(cfg)("connect_to %s: failed: %s", target, printable(err.Error()))
				remote.Close()
				return
			}
			f.splice(remote, local)
		})
	}
	return f, nil
}

// localBind is the address a -L or -D forwarding listens on, by
// OpenSSH's rules (channel_fwd_bind_addr): the loopback, unless
// GatewayPorts (-g) is set and no address is given, or an address other
// than "localhost" is given; "" and "*" mean every address.
func localBind(fs forwardSpec, gatewayPorts bool) string {
	if fs.BindSet && fs.Bind != "localhost" || !fs.BindSet && gatewayPorts {
		if fs.Bind == "*" {
			return ""
		}
		return fs.Bind
	}
	return "localhost"
}

// listenAll listens on port at every address of host, as OpenSSH binds
// each address getaddrinfo gives: "localhost" is 127.0.0.1 and, where
// the machine has IPv6, ::1. Port 0 takes the port the first listener
// got for the others too. It fails only if no address could be had.
// An address or "" (all of them, both families) is one listener.
func listenAll(ctx context.Context, host string, port int) ([]net.Listener, error) {
	if host == "" || net.ParseIP(host) != nil {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	}
	addrs, err := lookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var ls []net.Listener
	var errs []error
	for _, a := range addrs {
		l, err := net.Listen("tcp", (&net.TCPAddr{IP: a.IP, Port: port, Zone: a.Zone}).String())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if port == 0 {
			port = l.Addr().(*net.TCPAddr).Port
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, errors.Join(errs...)
	}
	return ls, nil
}

// lookupIPAddr resolves listen addresses; a variable for the tests,
// since this machine's /etc/hosts decides what "localhost" is.
var lookupIPAddr = net.DefaultResolver.LookupIPAddr

func listenerAddrs(ls []net.Listener) string {
	addrs := make([]string, len(ls))
	for i, l := range ls {
		addrs[i] = l.Addr().String()
	}
	return strings.Join(addrs, " ")
}

// serveAll serves each of ls with handle.
func (f *forwards) serveAll(ls []net.Listener, handle func(net.Conn)) {
	for _, l := range ls {
		f.wg.Add(1)
		go f.serve(l, handle)
	}
}

func portOf(a net.Addr) string {
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return p
}

// serve accepts connections on l until it is closed, handling each on a
// goroutine that stop waits for.
func (f *forwards) serve(l net.Listener, handle func(net.Conn)) {
	defer f.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !f.track(c) {
			c.Close()
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			handle(c)
		}()
	}
}

// splice copies both ways between a and b, passing each half-close on,
// and closes both when both directions ended (or stop closed one).
func (f *forwards) splice(a, b net.Conn) {
	if !f.track(b) {
		a.Close()
		b.Close()
		return
	}
	defer f.untrack(b)
	f.mu.Lock()
	f.conns[b] = fmt.Sprintf("%s <-> %s", a.RemoteAddr(), b.RemoteAddr())
	f.mu.Unlock()
	spliceConns(a, b)
}

// spliceConns copies both ways between a and b, passing each half-close
// on, and closes both when both directions ended.
func spliceConns(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	half := func(dst, src net.Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go half(a, b)
	go half(b, a)
	wg.Wait()
	a.Close()
	b.Close()
}

// stdioForward is -W host:port: stdin and stdout become a connection to
// host:port through the server, as a ProxyCommand for another ssh.
func (r *runner) stdioForward(ctx context.Context, inv *invocation, ch *chain) int {
	if ch.changed {
		fmt.Fprintln(r.stderr, "amiko ssh: -W: port forwarding is disabled because the host key changed")
		return exitFailure
	}
	conn, err := ch.dest().Dial(ctx, "tcp", inv.stdioTarget)
	if err != nil {
		return r.failed(ctx, err, inv)
	}
	defer conn.Close()
	go func() {
		io.Copy(conn, r.stdin)
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}()
	done := make(chan struct{})
	var copyErr error
	go func() {
		_, copyErr = io.Copy(r.stdout, conn)
		close(done)
	}()
	select {
	case <-done:
		// The forwarded connection's end is 0, as in OpenSSH; the SSH
		// connection's (a lost network, a keepalive timeout) is 255,
		// with its one line.
		if copyErr != nil {
			return r.failed(ctx, copyErr, inv)
		}
		return 0
	case <-ctx.Done():
		conn.Close()
		<-done
		return exitFailure
	}
}
