package main

import (
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// blackhole is a TCP proxy to a server that can be told to drop every
// byte from then on both ways, as a dead network does.
type blackhole struct {
	l       net.Listener
	dropped atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{l: l}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			b.mu.Lock()
			b.conns = append(b.conns, c, s)
			b.mu.Unlock()
			b.wg.Add(2)
			go b.pipe(c, s)
			go b.pipe(s, c)
		}
	}()
	t.Cleanup(b.stop)
	return b
}

// stop closes the proxy and its connections and waits for its
// goroutines. It may be called more than once.
func (b *blackhole) stop() {
	b.l.Close()
	b.mu.Lock()
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *blackhole) pipe(dst, src net.Conn) {
	defer b.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !b.dropped.Load() {
			dst.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// TestServerAlive: with ServerAliveInterval, a server that stops
// answering ends the run with ssh's message and 255, rather than a hang.
// The interval is 2 s: with 1 s and ServerAliveCountMax=1, a second or
// two of a loaded machine's delay while the command starts ended the run
// before the network died.
func TestServerAlive(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	b := startBlackhole(t, s.Addr)
	checkNoLeak(t)
	_, port, _ := net.SplitHostPort(b.l.Addr().String())
	args := e.args(s, "-p", port, "-o", "HostKeyAlias=[127.0.0.1]:"+portOf(mustAddr(t, s.Addr)),
		"-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=1", "127.0.0.1", "echo started; exec sleep 600")
	// -p is given twice: the first (the server's own port) would win, so
	// drop it.
	args = args[2:]
	stdout := &watchWriter{want: "started", seen: make(chan struct{})}
	var stderr syncBuffer
	r := &runner{stdin: strings.NewReader(""), stdout: stdout, stderr: &stderr, getenv: os.Getenv}
	done := make(chan int, 1)
	go func() { done <- r.run(t.Context(), append([]string{"ssh"}, args...)) }()
	// The command has started when its output shows; then the network
	// dies.
	select {
	case <-stdout.seen:
	case code := <-done:
		t.Fatalf("amiko ssh ended (%d) before the command started: %q", code, stderr.String())
	}
	b.dropped.Store(true)
	code := <-done
	b.stop()
	wantOneFailureLine(t, result{code: code, stderr: stderr.String()}, "Timeout, server 127.0.0.1 not responding.")
}

// watchWriter closes seen once what was written contains want.
type watchWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// TestServerAliveCountMaxZero: with ServerAliveCountMax=0, as in
// OpenSSH's ssh, the run ends the first time ServerAliveInterval passes
// with nothing from the server, without a keepalive sent: so even a live
// server that is quiet is left (a keepalive would have been answered and
// kept the connection), directly and through a jump host. The runs that
// must live until the command starts have an interval of 2 s: with 1 s, a
// second without a message from the server while the session opened (a
// loaded machine) ended them early.
func TestServerAliveCountMaxZero(t *testing.T) {
	e := newTestEnv(t)
	jump := e.server(sshtest.Options{})
	s := e.server(sshtest.Options{})
	e.trust(jump, s)
	checkNoLeak(t)
	inv, _ := parseSSHArgs([]string{"-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=0", "h"})
	if o := (&runner{getenv: os.Getenv}).connectOptions(inv.cfg, hop{Host: "h"}, "u", "/"); o.KeepaliveInterval != time.Second || o.KeepaliveCountMax >= 0 {
		t.Errorf("keepalives %v, count %d: want the library's interval without probes", o.KeepaliveInterval, o.KeepaliveCountMax)
	}
	quiet := []string{"-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=0", "127.0.0.1", "echo started; exec sleep 600"}
	j := jump.User + "@127.0.0.1:" + portOf(mustAddr(t, jump.Addr))
	for _, args := range [][]string{e.args(s, quiet...), e.args(s, append([]string{"-J", j}, quiet...)...)} {
		r := e.run("", args...)
		if r.stdout != "started\n" {
			t.Errorf("stdout %q: the command did not start", r.stdout)
		}
		r.stdout = ""
		wantOneFailureLine(t, r, "Timeout, server 127.0.0.1 not responding.")
	}
	// Output more often than the interval keeps the connection.
	r := e.run("", e.args(s, "-o", "ServerAliveInterval=3", "-o", "ServerAliveCountMax=0", "127.0.0.1",
		"for i in $(seq 20); do echo $i; sleep 0.25; done")...)
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\n20\n") {
		t.Errorf("a talking server: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}
