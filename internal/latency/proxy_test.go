package latency

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"testing"
	"time"
)

// echo copies back what it reads, and half-closes after EOF.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.(*net.TCPConn).CloseWrite()
}

func startProxy(t *testing.T, addr string, cfg Config) *Proxy {
	t.Helper()
	p, err := Listen(addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func dial(t *testing.T, p *Proxy) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

func TestRoundTrip(t *testing.T) {
	const oneWay = 20 * time.Millisecond
	p := startProxy(t, sshtest.ServeTCP(t, echo), Config{OneWay: oneWay})
	c := dial(t, p)
	buf := make([]byte, 1)
	for i := range 5 {
		start := time.Now()
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		rtt := time.Since(start)
		if rtt < 2*oneWay {
			t.Errorf("round trip %d took %v, less than 2×%v", i, rtt, oneWay)
		}
		if buf[0] != byte(i) {
			t.Errorf("round trip %d: got %d", i, buf[0])
		}
		t.Logf("round trip %d: %v", i, rtt)
	}
}

// TestUpload sends bulk data through the proxy and half-closes; the
// target answers with the data's SHA-256 and closes. Both EOFs must pass.
func TestUpload(t *testing.T) {
	p := startProxy(t, sshtest.ServeTCP(t, func(c net.Conn) {
		h := sha256.New()
		if _, err := io.Copy(h, c); err != nil {
			return
		}
		c.Write(h.Sum(nil))
	}), Config{OneWay: 5 * time.Millisecond})
	c := dial(t, p)
	data := randomBytes(32 << 20)
	start := time.Now()
	go func() {
		c.Write(data)
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if !bytes.Equal(got, want[:]) {
		t.Fatalf("target hashed %x, want %x", got, want)
	}
	t.Logf("%d MiB up in %v", len(data)>>20, time.Since(start))
}

// TestDownload has the target send bulk data and close; the client must
// receive all of it, then EOF.
func TestDownload(t *testing.T) {
	data := randomBytes(32 << 20)
	p := startProxy(t, sshtest.ServeTCP(t, func(c net.Conn) { c.Write(data) }), Config{OneWay: 25 * time.Millisecond})
	c := dial(t, p)
	start := time.Now()
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("received data differs")
	}
	t.Logf("%d MiB down in %v", len(data)>>20, time.Since(start))
}

// TestHalfClose checks that after the client's EOF the other direction
// still carries data: the target replies only once it has seen EOF.
func TestHalfClose(t *testing.T) {
	p := startProxy(t, sshtest.ServeTCP(t, echo), Config{OneWay: 5 * time.Millisecond})
	c := dial(t, p)
	if _, err := c.Write([]byte("before eof")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "before eof" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestBackpressure checks that a target that does not read makes the
// proxy stop reading once MaxInFlight is queued, instead of buffering
// without bound.
func TestBackpressure(t *testing.T) {
	const limit = 256 << 10
	release := make(chan struct{})
	p := startProxy(t, sshtest.ServeTCP(t, func(c net.Conn) { <-release }), Config{OneWay: time.Millisecond, MaxInFlight: limit})
	c := dial(t, p)
	defer close(release)

	// Write until the path is full: the writes stall when the proxy has
	// stopped reading and the kernel buffers are full.
	chunk := make([]byte, 64<<10)
	var sent int
	for {
		c.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := c.Write(chunk)
		sent += n
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatal(err)
			}
			break
		}
		if sent > 1<<30 {
			t.Fatal("wrote 1 GiB into a target that does not read")
		}
	}
	peak := p.peakInFlight()
	if peak > limit+readSize+chunkOverhead {
		t.Errorf("queued up to %d bytes, bound %d", peak, limit)
	}
	if peak < limit {
		t.Errorf("queued only %d bytes before stalling, bound %d", peak, limit)
	}
	t.Logf("sent %d KiB before stalling; proxy held at most %d KiB", sent>>10, peak>>10)
}

// peakInFlight is the most any line of p has held.
func (p *Proxy) peakInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	peak := 0
	for c := range p.conns {
		for _, l := range []*line{c.up, c.down} {
			l.mu.Lock()
			peak = max(peak, l.peak)
			l.mu.Unlock()
		}
	}
	return peak
}

// TestDeadTarget checks that a client of a proxy whose target refuses
// connections sees its connection closed.
func TestDeadTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := dial(t, startProxy(t, addr, Config{}))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a dead target", n)
	}
}

// TestClose checks that Close ends live connections and leaves no
// goroutine behind.
func TestClose(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("live connections", func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		p, err := New(sshtest.ServeTCP(t, func(c net.Conn) { <-stop }), 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var conns []net.Conn
		for range 3 {
			c := dial(t, p)
			conns = append(conns, c)
			c.Write([]byte("in flight"))
		}
		time.Sleep(5 * time.Millisecond) // some data queued, none delivered
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Error("connection still open after Close")
			}
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	// The subtest's cleanup has closed the clients and the target.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{{OneWay: -time.Second}, {MaxInFlight: -1}} {
		if p, err := Listen("127.0.0.1:1", cfg); err == nil {
			p.Close()
			t.Errorf("Listen accepted %+v", cfg)
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}
