package main

import (
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

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
func TestServerAlive(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	b := startBlackhole(t, s.Addr)
	checkNoLeak(t)
	_, port, _ := net.SplitHostPort(b.l.Addr().String())
	args := e.args(s, "-p", port, "-o", "HostKeyAlias=[127.0.0.1]:"+portOf(mustAddr(t, s.Addr)),
		"-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=1", "127.0.0.1", "echo started; exec sleep 600")
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
