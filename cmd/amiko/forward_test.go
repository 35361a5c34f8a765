package main

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// startEcho starts a TCP server on 127.0.0.1 that echoes what it reads,
// and returns its address. It stops with the test.
func startEcho(t *testing.T) string {
	return sshtest.ServeTCP(t, func(c net.Conn) { io.Copy(c, c) })
}

// echoThrough sends a message through addr and checks it comes back.
func echoThrough(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const msg = "through the forwarding"
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		t.Errorf("echo through %s: got %q, %v; want %q", addr, got, err, msg)
	}
}

// runForwarding runs amiko ssh -N with args until the forwarding named
// by spec listens, calls use with its address, then interrupts the run
// and returns its result.
func runForwarding(t *testing.T, e *testEnv, args []string, use func(addr string)) result {
	t.Helper()
	ready := make(chan net.Addr, 4)
	e.listening = func(_ string, a net.Addr) { ready <- a }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- e.runContext(ctx, "", args...) }()
	select {
	case a := <-ready:
		use(a.String())
	case r := <-done:
		t.Fatalf("amiko ssh -N ended before forwarding: %d %q", r.code, r.stderr)
	}
	cancel() // as the signal that ends ssh -N
	return <-done
}

func TestLocalForward(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	echo := startEcho(t)
	checkNoLeak(t)
	r := runForwarding(t, e, e.args(s, "-N", "-L", "0:"+echo, "127.0.0.1"), func(addr string) {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("-L without a bind address listens on %s, want the loopback", addr)
		}
		echoThrough(t, addr)
		echoThrough(t, addr) // and again: the listener stays
	})
	if r.code != 255 {
		t.Errorf("interrupted -N: exit %d, want ssh's 255", r.code)
	}
}

func TestRemoteForward(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	echo := startEcho(t)
	checkNoLeak(t)
	r := runForwarding(t, e, e.args(s, "-N", "-R", "127.0.0.1:0:"+echo, "127.0.0.1"), func(addr string) {
		// sshd runs on this machine: its listener is reachable here.
		echoThrough(t, addr)
	})
	if !strings.Contains(r.stderr, "Allocated port ") {
		t.Errorf("no notice of the allocated port: %q", r.stderr)
	}
}

func TestExitOnForwardFailure(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	checkNoLeak(t)
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	spec := "127.0.0.1:" + port + ":127.0.0.1:9"
	// By default a forwarding that cannot listen is a warning and the
	// command runs.
	r := e.run("", e.args(s, "-L", spec, "127.0.0.1", "echo", "ran")...)
	if r.code != 0 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "local forwarding "+spec+" failed") {
		t.Errorf("busy -L: got %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = e.run("", e.args(s, "-o", "ExitOnForwardFailure=yes", "-L", spec, "127.0.0.1", "echo", "ran")...)
	wantOneFailureLine(t, r, "local forwarding "+spec+" failed")
}

func TestStdioForward(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	echo := startEcho(t)
	checkNoLeak(t)
	r := e.run("hello over -W", e.args(s, "-W", echo, "127.0.0.1")...)
	if r.code != 0 || r.stdout != "hello over -W" {
		t.Errorf("-W: got %d %q", r.code, r.stdout)
	}
}

func TestJumpHosts(t *testing.T) {
	e := newTestEnv(t)
	jump := e.server(sshtest.Options{})
	dest := e.server(sshtest.Options{})
	e.trust(jump, dest)
	checkNoLeak(t)
	_, jumpPort, _ := net.SplitHostPort(jump.Addr)
	_, destPort, _ := net.SplitHostPort(dest.Addr)
	j := jump.User + "@127.0.0.1:" + jumpPort
	r := e.run("", e.args(dest, "-J", j, "127.0.0.1", "echo", "via-jump")...)
	if r.code != 0 || r.stdout != "via-jump\n" {
		t.Fatalf("-J: got %d %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(jump.Log(), "target 127.0.0.1 port "+destPort) {
		t.Error("the jump host's log shows no direct-tcpip to the destination")
	}
	// Two jumps deep: through the jump, then the destination itself as
	// a second jump, back to the jump host as the destination.
	d := dest.User + "@127.0.0.1:" + destPort
	r = e.run("", e.args(jump, "-J", j+","+d, "127.0.0.1", "echo", "two-deep")...)
	if r.code != 0 || r.stdout != "two-deep\n" {
		t.Errorf("-J with two hops: got %d %q %q", r.code, r.stdout, r.stderr)
	}
	// A jump host that refuses is named in the one failure line.
	other := t.TempDir() + "/other"
	writeNewKey(t, other)
	args := e.args(dest, "-J", j, "127.0.0.1", "true")
	for i := range args {
		if args[i] == e.keyFile {
			args[i] = other
		}
	}
	r = e.run("", args...)
	wantOneFailureLine(t, r, "jump host "+j)
}

// TestStdioForwardConnectionLost: -W whose SSH connection ends (here by
// ServerAliveCountMax=0's timeout, while the forwarded connection is
// idle and its input still open) exits 255 with the one failure line,
// as OpenSSH's ssh does, not 0 as for the forwarded connection's end.
func TestStdioForwardConnectionLost(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	echo := startEcho(t)
	checkNoLeak(t)
	stdin, hold := io.Pipe()
	t.Cleanup(func() { hold.Close() }) // before the leak check: the stdin copier ends
	var stdout, stderr syncBuffer
	r := &runner{stdin: stdin, stdout: &stdout, stderr: &stderr, getenv: os.Getenv}
	args := e.args(s, "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=0", "-W", echo, "127.0.0.1")
	code := r.run(t.Context(), append([]string{"ssh"}, args...))
	wantOneFailureLine(t, result{code: code, stderr: stderr.String()}, "Timeout, server 127.0.0.1 not responding.")
}

// TestListenAll: a bind name listens on each of its addresses, as
// OpenSSH's does (its "localhost" is 127.0.0.1 and ::1 where /etc/hosts
// says so), port 0 taking the first listener's port for the rest, and
// fails only when no address could be had.
func TestListenAll(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		l.Close()
	}
	defer func(old func(context.Context, string) ([]net.IPAddr, error)) { lookupIPAddr = old }(lookupIPAddr)
	lookupIPAddr = func(context.Context, string) ([]net.IPAddr, error) {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}, {IP: net.IPv6loopback}}, nil
	}
	ls, err := listenAll(t.Context(), "both.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	if len(ls) != 2 || portOf(ls[0].Addr()) != portOf(ls[1].Addr()) || ls[1].Addr().(*net.TCPAddr).IP.To4() != nil {
		t.Fatalf("listeners %s, want 127.0.0.1 and ::1 on one port", listenerAddrs(ls))
	}
	for _, host := range []string{"127.0.0.1", "::1"} {
		c, err := net.Dial("tcp", net.JoinHostPort(host, portOf(ls[0].Addr())))
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		c.Close()
	}
	// An address taken on one family still listens on the other.
	taken, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port, _ := strconv.Atoi(portOf(taken.Addr()))
	ls2, err := listenAll(t.Context(), "both.test", port)
	if err != nil || len(ls2) != 1 {
		t.Fatalf("with ::1's port taken: %d listeners, %v", len(ls2), err)
	}
	ls2[0].Close()
	lookupIPAddr = func(context.Context, string) ([]net.IPAddr, error) { return []net.IPAddr{{IP: net.IPv6loopback}}, nil }
	if _, err := listenAll(t.Context(), "both.test", port); err == nil {
		t.Fatal("no address could listen, and no error")
	}
}
