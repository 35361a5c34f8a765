package main

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestDynamicForward runs amiko ssh -N -D against sshd and speaks SOCKS5
// (golang.org/x/net/proxy's client), SOCKS4 and SOCKS4a (by hand)
// through it to an echo server; a connection to a closed port gets the
// failure reply, and ending the run closes what is still open.
func TestDynamicForward(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	echo := startEcho(t)
	closed := closedPort(t)
	checkNoLeak(t)
	var held net.Conn
	r := runForwarding(t, e, e.args(s, "-N", "-D", "0", "127.0.0.1"), func(addr string) {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("-D without a bind address listens on %s, want the loopback", addr)
		}
		socks5, err := proxy.SOCKS5("tcp", addr, nil, proxy.Direct)
		if err != nil {
			t.Fatal(err)
		}
		_, echoPort, _ := net.SplitHostPort(echo)
		// An address, and a name that sshd resolves.
		for _, target := range []string{echo, "localhost:" + echoPort} {
			c, err := socks5.Dial("tcp", target)
			if err != nil {
				t.Fatalf("SOCKS5 to %s: %v", target, err)
			}
			echoOver(t, c, "SOCKS5 to "+target)
			c.Close()
		}
		port, _ := strconv.Atoi(echoPort)
		c := socksDial(t, addr, socks4Request(1, [4]byte{127, 0, 0, 1}, uint16(port), "user", ""), socks4Yes)
		echoOver(t, c, "SOCKS4")
		c.Close()
		c = socksDial(t, addr, socks4Request(1, [4]byte{}, uint16(port), "user", "localhost"), socks4Yes)
		echoOver(t, c, "SOCKS4a")
		c.Close()

		// A refused connection is a reply, then the end.
		c = socksDial(t, addr, socks5Request(1, "127.0.0.1", closed), socks5Reply(0x05))
		wantClosed(t, c, "after SOCKS5's refusal")
		c = socksDial(t, addr, socks4Request(1, [4]byte{}, closed, "", "localhost"), socks4No)
		wantClosed(t, c, "after SOCKS4a's refusal")
		c = socksDial(t, addr, socks5Request(2, "127.0.0.1", uint16(port)), socks5Reply(0x07))
		wantClosed(t, c, "after BIND")

		// Left open for the end of the run to close.
		held = socksDial(t, addr, socks5Request(1, "127.0.0.1", uint16(port)), socks5Reply(0))
		echoOver(t, held, "a held connection")
	})
	if r.code != 255 {
		t.Errorf("interrupted -N: exit %d, want ssh's 255", r.code)
	}
	if !strings.Contains(r.stderr, "Allocated port ") || !strings.Contains(r.stderr, "connect failed") {
		t.Errorf("no notice of the allocated port or of the failed open: %q", r.stderr)
	}
	wantClosed(t, held, "after the run")
}

// TestDynamicForwardProhibited: a target the server does not allow
// (PermitOpen) gets SOCKS5's "connection not allowed by ruleset".
func TestDynamicForwardProhibited(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{Config: []string{"PermitOpen 127.0.0.1:1"}})
	e.trust(s)
	echo := startEcho(t)
	checkNoLeak(t)
	_, echoPort, _ := net.SplitHostPort(echo)
	port, _ := strconv.Atoi(echoPort)
	runForwarding(t, e, e.args(s, "-N", "-D", "0", "127.0.0.1"), func(addr string) {
		c := socksDial(t, addr, socks5Request(1, "127.0.0.1", uint16(port)), socks5Reply(0x02))
		wantClosed(t, c, "after the refusal")
	})
}

// TestDynamicForwardFailure: a -D port that cannot be listened on is a
// warning, or the end of the run with ExitOnForwardFailure.
func TestDynamicForwardFailure(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	checkNoLeak(t)
	spec := busy.Addr().String()
	r := e.run("", e.args(s, "-o", "DynamicForward="+spec, "127.0.0.1", "echo", "ran")...)
	if r.code != 0 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "dynamic forwarding "+spec+" failed") {
		t.Errorf("busy -D: got %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = e.run("", e.args(s, "-o", "ExitOnForwardFailure=yes", "-D", spec, "127.0.0.1", "echo", "ran")...)
	wantOneFailureLine(t, r, "dynamic forwarding "+spec+" failed")
}

// socksDial connects to the SOCKS server at addr, sends request and
// checks the reply is want.
func socksDial(t *testing.T, addr string, request, want []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(time.Minute)) // a hang guard
	if _, err := c.Write(request); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reply % x, %v; want % x", got, err, want)
	}
	return c
}

// echoOver sends a message over c to the echo server and checks that it
// comes back.
func echoOver(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(time.Minute))
	msg := "through " + what
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Errorf("%s: echoed %q, %v", what, got, err)
	}
}

// wantClosed checks that the other end closed c, with nothing more sent.
func wantClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(time.Minute))
	if rest, err := io.ReadAll(c); len(rest) > 0 || err != nil && !strings.Contains(err.Error(), "reset") {
		t.Errorf("%s: read %q, %v; want the end", what, rest, err)
	}
	c.Close()
}

// closedPort returns a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) uint16 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}
