package amiko

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"

	"github.com/amiko-ssh/amiko/internal/connection"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// Dial connects to addr through the server (a "direct-tcpip" channel, ssh
// -L and -W): network is "tcp", "tcp4" or "tcp6" with addr "host:port",
// resolved by the server, or "unix" with addr a socket path on the server
// ("direct-streamlocal@openssh.com"). The net.Conn has working deadlines
// and CloseWrite. ctx bounds the opening, with the channel timeout.
func (c *Client) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	cc, err := c.active()
	if err != nil {
		return nil, err
	}
	var typ string
	var extra []byte
	var raddr net.Addr
	switch network {
	case "tcp", "tcp4", "tcp6":
		host, port, err := splitHostPort(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		typ = "direct-tcpip"
		extra = wire.AppendText(nil, host)
		extra = wire.AppendUint32(extra, uint32(port))
		// The originator: amiko is not forwarding a local connection,
		// so it names itself as OpenSSH's -W does.
		extra = wire.AppendText(extra, "127.0.0.1")
		extra = wire.AppendUint32(extra, 0)
		raddr = &net.TCPAddr{IP: net.ParseIP(host), Port: port}
		if ip := net.ParseIP(host); ip == nil {
			raddr = hostPortAddr{network, net.JoinHostPort(host, strconv.Itoa(port))}
		}
	case "unix":
		typ = "direct-streamlocal@openssh.com"
		extra = wire.AppendText(nil, addr)
		extra = wire.AppendText(extra, "") // reserved
		extra = wire.AppendUint32(extra, 0)
		raddr = &net.UnixAddr{Name: addr, Net: "unix"}
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ch, err := cc.openChannel(ctx, typ, extra)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	return &channelConn{Channel: ch, local: cc.t.NetConn().LocalAddr(), remote: raddr}, nil
}

// splitHostPort splits addr, looking up a named port locally.
func splitHostPort(ctx context.Context, network, addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, network, p)
	if err != nil {
		return "", 0, err
	}
	return host, port, nil
}

// hostPortAddr is an address the server resolves, kept as a name.
type hostPortAddr struct{ network, addr string }

func (a hostPortAddr) Network() string { return a.network }
func (a hostPortAddr) String() string  { return a.addr }

// channelConn is a channel as a net.Conn.
type channelConn struct {
	*connection.Channel
	local, remote net.Addr
}

func (c *channelConn) LocalAddr() net.Addr  { return c.local }
func (c *channelConn) RemoteAddr() net.Addr { return c.remote }

func (c *channelConn) Close() error {
	err := c.Channel.Close()
	if errors.Is(err, connection.ErrChannelClosed) {
		return net.ErrClosed
	}
	return err
}

// Listen asks the server to listen on addr ("tcpip-forward", ssh -R) and
// returns a net.Listener whose Accept returns the connections the server
// forwards. network is "tcp", "tcp4" or "tcp6"; port 0 lets the server
// choose, and Addr reports its choice. "localhost" means the server's
// loopback; an empty host every address (RFC 4254), which sshd grants
// only as GatewayPorts allows. Close cancels the forwarding; so does the
// end of the connection.
func (c *Client) Listen(ctx context.Context, network, addr string) (net.Listener, error) {
	cc, err := c.active()
	if err != nil {
		return nil, err
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	host, port, err := splitHostPort(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cc.forwardsOnce.Do(func() {
		cc.forwards = make(map[int]*remoteListener)
		cc.mux.HandleChannelOpen("forwarded-tcpip", cc.forwardedOpen)
	})
	l := &remoteListener{
		cc:    cc,
		host:  host,
		port:  port,
		queue: make(chan *connection.NewChannel, listenBacklog),
		done:  make(chan struct{}),
	}
	// A fixed port is routed before the request, so that a connection
	// the server forwards right after its reply is not refused.
	if port != 0 {
		cc.addForward(l)
	}
	payload := wire.AppendText(nil, host)
	payload = wire.AppendUint32(payload, uint32(port))
	ok, reply, err := cc.mux.SendGlobalRequestContext(ctx, "tcpip-forward", true, payload)
	switch {
	case err != nil && ctx.Err() != nil:
		err = ctx.Err()
	case err != nil:
		err = asSSHError(err)
	case !ok:
		err = &RequestError{Request: "tcpip-forward", Detail: addr}
	case port == 0:
		d := wire.NewReader("tcpip-forward reply", reply)
		l.port = int(d.Uint32("port"))
		if d.End() != nil || l.port == 0 {
			err = asSSHError(errors.New("ssh: malformed tcpip-forward reply"))
		}
	}
	if err != nil {
		cc.removeForward(l)
		return nil, err
	}
	if port == 0 {
		cc.addForward(l)
	}
	return l, nil
}

// listenBacklog bounds the forwarded connections waiting for Accept;
// beyond it the server's connection attempts are refused.
const listenBacklog = 128

// forwardedOpen routes a "forwarded-tcpip" channel to its listener. It
// runs on the read loop, so it only queues.
func (cc *clientConn) forwardedOpen(nc *connection.NewChannel) {
	d := wire.NewReader("forwarded-tcpip", nc.ExtraData)
	d.String("address")
	port := int(d.Uint32("port"))
	d.String("originator address")
	d.Uint32("originator port")
	cc.forwardsMu.Lock()
	l := cc.forwards[port]
	cc.forwardsMu.Unlock()
	if d.End() != nil || l == nil {
		go nc.Reject(connection.OpenConnectFailed, "no such forwarding")
		return
	}
	select {
	case l.queue <- nc:
	default:
		go nc.Reject(connection.OpenResourceShortage, "too many connections waiting")
	}
}

// remoteListener is a port the server listens on for us.
type remoteListener struct {
	cc         *clientConn
	host       string
	port       int
	queue      chan *connection.NewChannel
	closeOnce  sync.Once
	done       chan struct{}
	closeError error
}

// Accept waits for the next connection the server forwards.
func (l *remoteListener) Accept() (net.Conn, error) {
	for {
		select {
		case nc := <-l.queue:
			ch, err := nc.Accept()
			if err != nil {
				return nil, err
			}
			d := wire.NewReader("", nc.ExtraData)
			d.String("address")
			d.Uint32("port")
			oaddr := string(d.String("originator address"))
			oport := int(d.Uint32("originator port"))
			return &channelConn{
				Channel: ch,
				local:   l.Addr(),
				remote:  &net.TCPAddr{IP: net.ParseIP(oaddr), Port: oport},
			}, nil
		case <-l.done:
			return nil, net.ErrClosed
		case <-l.cc.mux.Done():
			return nil, net.ErrClosed
		}
	}
}

// Close cancels the forwarding and refuses connections not yet accepted.
func (l *remoteListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.cc.removeForward(l)
		payload := wire.AppendText(nil, l.host)
		payload = wire.AppendUint32(payload, uint32(l.port))
		ok, _, err := l.cc.mux.SendGlobalRequest("cancel-tcpip-forward", true, payload)
		switch {
		case errors.Is(err, connection.ErrClosed):
		case err != nil:
			l.closeError = asSSHError(err)
		case !ok:
			l.closeError = &RequestError{Request: "cancel-tcpip-forward"}
		}
		l.refuseWaiting()
	})
	return l.closeError
}

// refuseWaiting refuses the connections queued for Accept.
func (l *remoteListener) refuseWaiting() {
	for {
		select {
		case nc := <-l.queue:
			nc.Reject(connection.OpenConnectFailed, "listener closed")
		default:
			return
		}
	}
}

func (cc *clientConn) addForward(l *remoteListener) {
	cc.forwardsMu.Lock()
	cc.forwards[l.port] = l
	cc.forwardsMu.Unlock()
}

func (cc *clientConn) removeForward(l *remoteListener) {
	cc.forwardsMu.Lock()
	if cc.forwards[l.port] == l {
		delete(cc.forwards, l.port)
	}
	cc.forwardsMu.Unlock()
}

// Addr is the address the server listens on, with the port it chose.
func (l *remoteListener) Addr() net.Addr {
	if ip := net.ParseIP(l.host); ip != nil {
		return &net.TCPAddr{IP: ip, Port: l.port}
	}
	return hostPortAddr{"tcp", net.JoinHostPort(l.host, strconv.Itoa(l.port))}
}
