package transport

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// slowBanner relays to addr, holding the server's first bytes (its
// version line) back for delay; the rest flows at once.
func slowBanner(t *testing.T, addr string, delay time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		client, err := l.Accept()
		if err != nil {
			return
		}
		defer client.Close()
		server, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		defer server.Close()
		go func() { io.Copy(server, client); server.(*net.TCPConn).CloseWrite() }()
		time.Sleep(delay)
		io.Copy(client, server)
	}()
	return l.Addr().String()
}

// TestBannerTimeoutLongerThanTheNegotiation: a banner that comes after
// the default negotiation bound, but within BannerTimeout, is waited for
// (paramiko's banner_timeout=60 for a slow device); an explicit
// HandshakeTimeout (paramiko's timeout) still bounds it all from the
// start.
func TestBannerTimeoutLongerThanTheNegotiation(t *testing.T) {
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{})
	c, err := Client(t.Context(), dialT(t, slowBanner(t, s.Addr, 2*time.Second)), withKnown(&Config{
		BannerTimeout:           5 * time.Second,
		defaultHandshakeTimeout: 1500 * time.Millisecond,
	}, s))
	if err != nil {
		t.Fatalf("banner after 2 s, BannerTimeout 5 s, the negotiation's default bound 1.5 s: %v", err)
	}
	c.Close()

	_, err = Client(t.Context(), dialT(t, slowBanner(t, s.Addr, 2*time.Second)), withKnown(&Config{
		BannerTimeout:    5 * time.Second,
		HandshakeTimeout: 1500 * time.Millisecond,
	}, s))
	var te *TimeoutError
	if !errors.As(err, &te) || te.Phase != "handshake" || te.After != 1500*time.Millisecond {
		t.Fatalf("banner after 2 s with HandshakeTimeout 1.5 s: got %v, want a handshake TimeoutError after 1.5s", err)
	}
}

// TestHostKeyCallbackTimeNotCounted: a host key callback slower than the
// handshake timeout (a policy asking a person) does not time the
// handshake out. (That the deadline holds again after it is
// TestHandshakeClock's.)
func TestHostKeyCallbackTimeNotCounted(t *testing.T) {
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{})
	cfg := withKnown(&Config{HandshakeTimeout: 3 * time.Second}, s)
	check := cfg.HostKeyCallback
	cfg.HostKeyCallback = func(k ssh.PublicKey) error {
		time.Sleep(3500 * time.Millisecond)
		return check(k)
	}
	c, err := Client(t.Context(), dialT(t, s.Addr), cfg)
	if err != nil {
		t.Fatalf("a 3.5 s host key callback within a 3 s handshake timeout: %v", err)
	}
	c.Close()

}

// deadlineConn records the deadlines it is given.
type deadlineConn struct {
	net.Conn
	deadlines []time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.deadlines = append(c.deadlines, t)
	return nil
}

func (c *deadlineConn) last() time.Time { return c.deadlines[len(c.deadlines)-1] }

// TestHandshakeClock: the deadlines of each phase, and a pause that
// clears the deadline and moves it on by the time paused.
func TestHandshakeClock(t *testing.T) {
	nc := &deadlineConn{}
	k := newHandshakeClock(t.Context(), nc, &Config{BannerTimeout: 30 * time.Second})
	defer k.stop()
	k.enter("banner")
	if want := k.start.Add(30 * time.Second); !nc.last().Equal(want) {
		t.Fatalf("banner deadline %v, want start+30s", nc.last().Sub(k.start))
	}
	before := time.Now()
	k.enter("handshake")
	negotiation := nc.last()
	if d := negotiation.Sub(before); d < DefaultHandshakeTimeout || d > DefaultHandshakeTimeout+time.Second {
		t.Fatalf("negotiation deadline %v after the banner, want %v", d, DefaultHandshakeTimeout)
	}
	if d, ok := k.negotiationCtx.Deadline(); !ok || !d.Equal(negotiation) {
		t.Fatalf("negotiation context's deadline %v, want the connection's", d)
	}
	resume := k.pause()
	if !nc.last().IsZero() {
		t.Fatal("a paused clock left a deadline on the connection")
	}
	time.Sleep(50 * time.Millisecond)
	resume()
	if moved := nc.last().Sub(negotiation); moved < 50*time.Millisecond {
		t.Fatalf("after a 50 ms pause the deadline moved %v", moved)
	}

	// An explicit HandshakeTimeout counts from the start, banner included.
	nc = &deadlineConn{}
	k = newHandshakeClock(t.Context(), nc, &Config{BannerTimeout: 30 * time.Second, HandshakeTimeout: 10 * time.Second})
	defer k.stop()
	k.enter("banner")
	if want := k.start.Add(10 * time.Second); !nc.last().Equal(want) {
		t.Fatalf("banner deadline %v, want start+10s", nc.last().Sub(k.start))
	}
	k.enter("handshake")
	if want := k.start.Add(10 * time.Second); !nc.last().Equal(want) {
		t.Fatalf("negotiation deadline %v, want start+10s", nc.last().Sub(k.start))
	}
}
