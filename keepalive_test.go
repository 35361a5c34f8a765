package amiko

import (
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// freezingProxy forwards TCP to target until Freeze, after which it
// passes nothing either way but keeps the connections open: a server
// that stopped answering, as after a network partition.
type freezingProxy struct {
	l      net.Listener
	frozen atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func startFreezingProxy(t *testing.T, target string) *freezingProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{l: l}
	t.Cleanup(p.close)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go p.pipe(c, u)
			go p.pipe(u, c)
		}
	}()
	return p
}

func (p *freezingProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !p.frozen.Load() {
			dst.Write(buf[:n])
		}
	}
}

func (p *freezingProxy) close() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestKeepaliveDetectsDeadServer: with an interval and a count, a server
// that stops answering ends the connection with a *KeepaliveError, and a
// blocked read returns. The interval is long enough that sshd, slow on a
// loaded machine, still answers within CountMax of them while alive.
func TestKeepaliveDetectsDeadServer(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t) // before the proxy, whose goroutines end at its cleanup
	proxy := startFreezingProxy(t, s.Addr)
	const interval = 500 * time.Millisecond
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{
		Port: port(t, proxy.l.Addr().String()), Username: s.User, PKey: s.UserKey,
		DisableAgent: true, DisableKeyDiscovery: true,
		KeepaliveInterval: interval, KeepaliveCountMax: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Idle but alive: sshd answers every probe, so the connection stays
	// longer than a server that answered none would keep it (four to
	// five intervals).
	time.Sleep(6 * interval)
	if out, err := c.Command(t.Context(), "echo alive").Output(); err != nil || string(out) != "alive\n" {
		t.Fatalf("after idling with keepalives: %q %v", out, err)
	}

	sess, err := c.ExecCommand(t.Context(), "sleep 60", nil)
	if err != nil {
		t.Fatal(err)
	}
	proxy.frozen.Store(true)
	readErr := make(chan error, 1)
	go func() {
		_, err := sess.Stdout().Read(make([]byte, 1))
		readErr <- err
	}()
	err = c.Wait()
	var ke *KeepaliveError
	if !errors.As(err, &ke) || ke.Count != 3 || !errors.Is(err, ErrSSH) {
		t.Fatalf("Wait: %v", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a keepalive failure is not a timeout: %v", err)
	}
	if err := <-readErr; !errors.As(err, &ke) {
		t.Fatalf("blocked read: %v", err)
	}
	c.Close()
}

// TestServerKeepalivesAnswered: sshd with ClientAliveInterval 1 and
// ClientAliveCountMax 5 sends keepalive@openssh.com every second and
// hangs up after five unanswered, six seconds in; amiko answers them, so
// an idle connection lives on well past that. (A count of 5 rather than
// 2: a client held up for two seconds on a loaded machine is not what
// this checks.)
func TestServerKeepalivesAnswered(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"ClientAliveInterval 1", "ClientAliveCountMax 5"}})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	// An open session too, so that sshd's channel-level probes are
	// covered as well as the connection's.
	sess, err := c.ExecCommand(t.Context(), "sleep 30", nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	if out, err := c.Command(t.Context(), "echo still here").Output(); err != nil || string(out) != "still here\n" {
		t.Fatalf("after 10 idle seconds: %q %v", out, err)
	}
	sess.Close()
	c.Close()
}

// TestRekeyWhileStreamingSessions: sshd with RekeyLimit 1M 1s while data
// goes through cat both ways at once, both windows saturated; what comes
// back is what went in.
func TestRekeyWhileStreamingSessions(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"RekeyLimit 1M 1s"}})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	size := int64(200 << 20)
	if raceEnabled {
		size = 16 << 20
	}
	cmd := c.Command(t.Context(), "cat")
	cmd.Stdin = io.LimitReader(pattern{}, size)
	got := sha256.New()
	cmd.Stdout = got
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, io.LimitReader(pattern{}, size))
	if string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatal("data changed on the way")
	}
	c.mu.Lock()
	kex := c.conn.t.KexCount()
	c.mu.Unlock()
	t.Logf("%d MiB each way, %d key exchanges", size>>20, kex)
	if kex < int(size>>20)/2 {
		t.Fatalf("only %d key exchanges for %d MiB with RekeyLimit 1M", kex, size>>20)
	}
	c.Close()
}

// clientGoroutines counts the goroutines running amiko's client code
// (not the test servers').
func clientGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/amiko-ssh/amiko") && !strings.Contains(g, "internal/sshtest") &&
			!strings.Contains(g, "testing.tRunner") {
			n++
		}
	}
	return n
}

// TestIdleConnectionOneGoroutine: an idle authenticated connection, with
// keepalives on and a session open, runs one goroutine: the read loop.
func TestIdleConnectionOneGoroutine(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	before := clientGoroutines()
	c := connectTo(t, s, &ConnectOptions{KeepaliveInterval: time.Hour})
	sess, err := c.ExecCommand(t.Context(), "sleep 30", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := clientGoroutines() - before; n != 1 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines for one idle connection:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
	sess.Close()
	c.Close()
}

// TestKeepaliveWithoutProbes: a negative KeepaliveCountMax (OpenSSH's
// ServerAliveCountMax 0) sends no keepalive and ends the connection the
// first time an interval passes with nothing from the server, even a
// live one; output more often than the interval keeps it. The interval
// is wide enough that opening the session and starting the command on
// a loaded machine leave no silent interval; the output lasts for more
// than one.
func TestKeepaliveWithoutProbes(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, &ConnectOptions{KeepaliveInterval: 2 * time.Second, KeepaliveCountMax: -1})
	defer c.Close()
	out, err := c.Command(t.Context(), "for i in $(seq 30); do echo $i; sleep 0.1; done").Output()
	if err != nil || !strings.HasSuffix(string(out), "\n30\n") {
		t.Fatalf("a talking server: %q %v", out, err)
	}
	err = c.Wait() // the connection is idle now, and nothing asks sshd to speak
	var ke *KeepaliveError
	if !errors.As(err, &ke) || ke.Count != 0 {
		t.Fatalf("Wait: %v, want a KeepaliveError without probes", err)
	}
	if strings.Contains(s.Log(), "keepalive@openssh.com") {
		t.Error("a keepalive was sent")
	}
}
