package connection

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/latency"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// pattern returns n bytes that do not repeat with any short period.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>13 + i>>21)
	}
	return b
}

func TestLargeOutput(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	n := scaled(64<<20, 8)
	ch := startExec(t, c, fmt.Sprintf("head -c %d /dev/zero", n))
	start := time.Now()
	got, err := io.Copy(io.Discard, ch)
	if err != nil || got != int64(n) {
		t.Fatalf("read %d of %d bytes: %v", got, n, err)
	}
	<-ch.Done()
	if st, ok := ch.ExitStatus(); !ok || st != 0 {
		t.Fatalf("exit status %d %v", st, ok)
	}
	t.Logf("%d MiB in %v, window %d", n>>20, time.Since(start), ch.ReceiveWindow())
	ch.Close()
}

func TestLargeInput(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	data := pattern(scaled(64<<20, 8))
	ch := startExec(t, c, "sha256sum -b")
	errc := make(chan error, 1)
	go func() {
		_, err := ch.Write(data)
		if err == nil {
			err = ch.CloseWrite()
		}
		errc <- err
	}()
	r := collect(t, ch)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := hex.EncodeToString(sum[:]) + " *-\n"; string(r.stdout) != want || r.status != 0 {
		t.Fatalf("server hashed %q (status %d), want %q", r.stdout, r.status, want)
	}
	ch.Close()
}

// TestBothWaysThroughCat streams through cat in both directions at once,
// both windows full.
func TestBothWaysThroughCat(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	data := pattern(scaled(64<<20, 8))
	ch := startExec(t, c, "cat")
	errc := make(chan error, 1)
	go func() {
		// Odd sizes, to split across messages and windows unevenly.
		p := data
		for len(p) > 0 {
			k := min(len(p), 100003)
			if _, err := ch.Write(p[:k]); err != nil {
				errc <- err
				return
			}
			p = p[k:]
		}
		errc <- ch.CloseWrite()
	}()
	h := sha256.New()
	n, err := io.Copy(h, ch)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if n != int64(len(data)) || string(h.Sum(nil)) != string(want[:]) {
		t.Fatalf("echoed %d of %d bytes, hash match %v", n, len(data), string(h.Sum(nil)) == string(want[:]))
	}
	<-ch.Done()
	ch.Close()
}

// TestWindowGrows downloads through a proxy adding a round trip of 40 ms:
// a 2 MiB window allows 50 MB/s, so the peer is limited by the window
// and it grows.
func TestWindowGrows(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	p, err := latency.New(s.Addr, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := dial(t, s, p.Addr(), Config{})
	n := scaled(64<<20, 4)
	ch := startExec(t, c, fmt.Sprintf("head -c %d /dev/zero", n))
	start := time.Now()
	got, err := io.Copy(io.Discard, ch)
	if err != nil || got != int64(n) {
		t.Fatalf("read %d of %d bytes: %v", got, n, err)
	}
	w := ch.ReceiveWindow()
	t.Logf("%d MiB in %v at 40 ms RTT; window grew to %d", n>>20, time.Since(start), w)
	if w <= defaultWindow {
		t.Fatalf("window stayed at %d", w)
	}
	if w > defaultMaxWindow {
		t.Fatalf("window %d beyond the cap", w)
	}
	ch.Close()
	c.Close()
}

// TestLoopbackDownloadSendsFewPings: where the window does not limit the
// peer, window-sizing measurements are spaced out rather than sent with
// nearly every window adjust (a thousand for 256 MiB before). Full size
// under the race detector too (about a second): at an eighth of it, one
// per window adjust was too close to what spacing sends to tell apart.
func TestLoopbackDownloadSendsFewPings(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	n := 256 << 20
	ch := startExec(t, c, fmt.Sprintf("head -c %d /dev/zero", n))
	if got, err := io.Copy(io.Discard, ch); err != nil || got != int64(n) {
		t.Fatalf("read %d of %d bytes: %v", got, n, err)
	}
	ch.mu.Lock()
	pings, window := ch.pings, ch.window
	ch.mu.Unlock()
	t.Logf("%d MiB: %d measurements, window %d KiB", n>>20, pings, window>>10)
	// Spaced out, they come one per eight windows at most once the
	// download is under way; the limit allows one per four initial
	// windows (the smallest the window is, so a window that grew near
	// the end, as it may on a loaded machine, does not lower the limit
	// below what was sent before), and for each doubling of the window
	// its measurement and the spacing starting over after it. A
	// measurement with every window adjust is two per window or more.
	doublings := bits.Len32(window/defaultWindow) - 1
	if limit := 4 + 5*doublings + n/(4*defaultWindow); pings > limit {
		t.Fatalf("%d measurements for %d MiB, want at most %d", pings, n>>20, limit)
	}
	ch.Close()
	c.Close()
}

// TestWindowCap: a configured MaxWindow is respected; a fixed window
// (MaxWindow below InitialWindow) does not grow.
func TestWindowCap(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	p, err := latency.New(s.Addr, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := dial(t, s, p.Addr(), Config{MaxWindow: 1})
	ch := startExec(t, c, fmt.Sprintf("head -c %d /dev/zero", scaled(16<<20, 4)))
	if _, err := io.Copy(io.Discard, ch); err != nil {
		t.Fatal(err)
	}
	if w := ch.ReceiveWindow(); w != defaultWindow {
		t.Fatalf("window %d, want fixed at %d", w, defaultWindow)
	}
	c.Close()
}

func TestStdinEOF(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	ch := startExec(t, c, "tr a-z A-Z")
	if _, err := io.Copy(ch, strings.NewReader("hello\n")); err != nil {
		t.Fatal(err)
	}
	if err := ch.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Write([]byte("x")); err != ErrWriteClosed {
		t.Errorf("Write after CloseWrite: %v", err)
	}
	if r := collect(t, ch); string(r.stdout) != "HELLO\n" || r.status != 0 {
		t.Fatalf("got %q status %d", r.stdout, r.status)
	}
}

// TestBothWaysWhileRekeying streams through cat both ways while sshd
// re-keys every megabyte: the read loop keeps sending window adjusts
// while writers queue behind key exchanges.
func TestBothWaysWhileRekeying(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"RekeyLimit 1M"}})
	c := dial(t, s, s.Addr, Config{})
	data := pattern(scaled(64<<20, 8))
	ch := startExec(t, c, "cat")
	errc := make(chan error, 1)
	go func() {
		_, err := ch.Write(data)
		if err == nil {
			err = ch.CloseWrite()
		}
		errc <- err
	}()
	h := sha256.New()
	n, err := io.Copy(h, ch)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if n != int64(len(data)) || string(h.Sum(nil)) != string(want[:]) {
		t.Fatalf("echoed %d of %d bytes, hash match %v", n, len(data), string(h.Sum(nil)) == string(want[:]))
	}
	<-ch.Done()
}

// TestManyStreamsWhileRekeying runs six channels through cat at once
// while sshd re-keys every megabyte: more data queues behind each key
// exchange than any one channel's window.
func TestManyStreamsWhileRekeying(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"RekeyLimit 1M", "MaxSessions 20"}})
	c := dial(t, s, s.Addr, Config{})
	data := pattern(scaled(16<<20, 8))
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := c.OpenChannel(context.Background(), "session", nil)
			if err != nil {
				t.Error(err)
				return
			}
			if ok, err := ch.SendRequest("exec", true, wire.AppendText(nil, "cat")); !ok || err != nil {
				t.Errorf("exec: %v %v", ok, err)
				return
			}
			go func() { ch.Write(data); ch.CloseWrite() }()
			h := sha256.New()
			n, err := io.Copy(h, ch)
			if err != nil || n != int64(len(data)) {
				t.Errorf("%d %v", n, err)
			}
		}()
	}
	wg.Wait()
}
