package amiko

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/amiko-ssh/amiko/internal/connection"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// X11Options are the parameters of Session.RequestX11Forwarding
// (paramiko's Channel.request_x11).
type X11Options struct {
	// Handler receives each X11 connection the server forwards: the
	// server opens an "x11" channel for every X client that connects to
	// the display it set up for the session. Handler runs on a goroutine
	// of its own for each, owns the connection and must close it.
	// RemoteAddr is the X client's address as the server gives it (the
	// channel's originator address and port). Handler is required:
	// amiko never accepts an X11 channel it has nowhere to send.
	//
	// The connection carries the X client's bytes, starting with its
	// connection setup, which holds Cookie: a handler that passes it on
	// to a real X server must check that cookie and put the display's
	// real one in its place (cmd/amiko does), or any process on the
	// server could reach the display.
	Handler func(net.Conn)
	// Timeout, if positive, refuses the X11 channels the server opens
	// later than this after the request (OpenSSH's ForwardX11Timeout,
	// for untrusted forwarding: its cookie expires, and an X server may
	// then let clients in with no authorization).
	Timeout time.Duration
	// SingleConnection asks the server to forward one X11 connection
	// only; amiko then refuses any X11 channel after the first one for
	// this request, whatever the server does.
	SingleConnection bool
	// AuthProtocol is the X authorization protocol the server hands its
	// X clients; empty means "MIT-MAGIC-COOKIE-1".
	AuthProtocol string
	// Cookie is the authorization data the server hands its X clients,
	// sent hex-encoded as RFC 4254 section 6.3.1 asks; nil means 16
	// random bytes, the size of an MIT-MAGIC-COOKIE-1.
	Cookie []byte
	// Screen is the X screen number the server's DISPLAY names.
	Screen int
}

// errNoX11Handler is RequestX11Forwarding's answer to X11Options without
// a Handler.
var errNoX11Handler = errors.New("amiko: X11Options.Handler is nil")

// RequestX11Forwarding asks the server to forward X11 connections for
// the session ("x11-req", ssh -X and -Y): the server then sets DISPLAY
// for the command and, with OpenSSH's sshd, adds the cookie to the
// remote user's xauth file. It returns the cookie sent, for the handler
// to check in each connection's setup. A refusal is a *RequestError.
//
// The client refuses (and logs) every "x11" channel a server opens
// unless a session of the connection asked for X11 forwarding, as
// OpenSSH's client does: a server has no business opening X
// connections to a display nobody forwarded. The protocol does not say
// which session an X11 channel is for, so a channel goes to the most
// recent request whose session is still open and that still takes
// connections (a SingleConnection request takes one); once every such
// session has ended, X11 channels are refused again.
func (s *Session) RequestX11Forwarding(ctx context.Context, o X11Options) ([]byte, error) {
	if o.Handler == nil {
		return nil, errNoX11Handler
	}
	proto := o.AuthProtocol
	if proto == "" {
		proto = "MIT-MAGIC-COOKIE-1"
	}
	cookie := slices.Clone(o.Cookie)
	if len(cookie) == 0 {
		cookie = make([]byte, 16)
		rand.Read(cookie)
	}
	b := wire.AppendBool(nil, o.SingleConnection)
	b = wire.AppendText(b, proto)
	b = wire.AppendText(b, hex.EncodeToString(cookie))
	b = wire.AppendUint32(b, uint32(o.Screen))

	// Granted before the request, so that a channel the server opens
	// right after its reply finds the grant; taken back on a refusal.
	g := &x11Grant{done: s.ch.Done(), handler: o.Handler, single: o.SingleConnection}
	if o.Timeout > 0 {
		g.refuseAfter = time.Now().Add(o.Timeout)
	}
	s.cc.x11Mu.Lock()
	s.cc.pruneX11GrantsLocked() // those of ended sessions no channel came for
	s.cc.x11Grants = append(s.cc.x11Grants, g)
	s.cc.x11Mu.Unlock()
	if err := s.request(ctx, "x11-req", "", b); err != nil {
		s.cc.x11Mu.Lock()
		s.cc.x11Grants = slices.DeleteFunc(s.cc.x11Grants, func(x *x11Grant) bool { return x == g })
		s.cc.x11Mu.Unlock()
		return nil, err
	}
	return cookie, nil
}

// x11Grant is one x11-req the server accepted: where its channels go.
type x11Grant struct {
	done    <-chan struct{} // the session's end
	handler func(net.Conn)
	single  bool
	used    bool
	// refuseAfter, if set, is X11Options.Timeout's end.
	refuseAfter time.Time
}

// takeX11Grant picks the grant for a new X11 channel, or nil if there is
// none: the most recent one whose session is open and which takes
// another connection. Ended and spent grants are dropped.
func (cc *clientConn) takeX11Grant() *x11Grant {
	cc.x11Mu.Lock()
	defer cc.x11Mu.Unlock()
	cc.pruneX11GrantsLocked()
	if len(cc.x11Grants) == 0 {
		return nil
	}
	g := cc.x11Grants[len(cc.x11Grants)-1]
	g.used = true
	return g
}

// pruneX11GrantsLocked drops the grants of ended sessions and spent
// single-connection ones.
func (cc *clientConn) pruneX11GrantsLocked() {
	cc.x11Grants = slices.DeleteFunc(cc.x11Grants, func(g *x11Grant) bool {
		select {
		case <-g.done:
			return true
		default:
			return g.single && g.used
		}
	})
}

// x11Open handles an "x11" channel the server opens (RFC 4254 section
// 6.3.2). It runs on the read loop, so the answer goes out on a
// goroutine.
func (cc *clientConn) x11Open(nc *connection.NewChannel) {
	d := wire.NewReader("x11 channel open", nc.ExtraData)
	addr := d.Text("originator address")
	port := d.Uint32("originator port")
	if err := d.End(); err != nil {
		cc.log.Warn("ssh: refused a malformed x11 channel open", "err", err)
		go nc.Reject(connection.OpenConnectFailed, "malformed x11 channel open")
		return
	}
	g := cc.takeX11Grant()
	if g == nil {
		// OpenSSH: "Warning: ssh server tried X11 forwarding."
		cc.log.Warn("ssh: server tried X11 forwarding, which no open session asked for; refused", "originator", net.JoinHostPort(addr, strconv.Itoa(int(port))))
		go nc.Reject(connection.OpenAdministrativelyProhibited, "X11 forwarding was not requested")
		return
	}
	if !g.refuseAfter.IsZero() && time.Now().After(g.refuseAfter) {
		// OpenSSH: "Rejected X11 connection after ForwardX11Timeout expired".
		cc.log.Warn("ssh: rejected X11 connection after the forwarding timeout expired", "originator", net.JoinHostPort(addr, strconv.Itoa(int(port))))
		go nc.Reject(connection.OpenAdministrativelyProhibited, "X11 forwarding timed out")
		return
	}
	var remote net.Addr = &net.TCPAddr{IP: net.ParseIP(addr), Port: int(port)}
	if net.ParseIP(addr) == nil {
		remote = hostPortAddr{"tcp", net.JoinHostPort(addr, strconv.Itoa(int(port)))}
	}
	go func() {
		ch, err := nc.Accept()
		if err != nil {
			return
		}
		g.handler(&channelConn{Channel: ch, local: cc.t.NetConn().LocalAddr(), remote: remote})
	}()
}
