package sftp_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/sftp"
)

// waitGoroutines waits, ten seconds at most (a loaded machine may be
// slow to unwind them), for the number of goroutines to come down to
// want, and fails t if it does not. It returns as soon as they did.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= want {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines, want %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
}

// TestCloseEndsTheSession checks that closing the SFTP client closes the
// session channel itself, not only its input: this server's subsystem
// keeps the channel open after sftp-server has read EOF and exited, so a
// Close that only sent EOF would wait for it forever. The amiko client
// stays usable, and the SFTP client left no goroutine behind.
func TestCloseEndsTheSession(t *testing.T) {
	s := startServerWith(t, sftpServer+"; exec sleep 600")
	checkNoLeak(t)
	c := connect(t, s)
	before := runtime.NumGoroutine()

	sc, err := sftp.NewClient(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Getwd(); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- sc.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(30 * time.Second): // a hang guard only
		t.Fatal("Close did not return")
	}
	waitGoroutines(t, before)
	if _, err := sc.Getwd(); err == nil {
		t.Error("the closed client still answers")
	}

	// The connection outlives the SFTP client.
	sc2 := openSFTP(t, c)
	if _, err := sc2.Stat(s.Dir); err != nil {
		t.Fatal(err)
	}
}

// TestConnectionLoss checks that when the connection ends under an open
// SFTP client, its calls fail rather than hang, and Close still returns
// and leaves no goroutine behind.
func TestConnectionLoss(t *testing.T) {
	s := startServer(t)
	checkNoLeak(t)
	c := connect(t, s)
	sc := openSFTP(t, c)
	if _, err := sc.Stat(s.Dir); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := sc.Stat(s.Dir); err == nil {
		t.Error("Stat succeeded after the connection closed")
	}
	sc.Close()
}

// TestContextBoundsOpening checks that ctx bounds the opening: this
// server's subsystem never answers SFTP's version exchange.
func TestContextBoundsOpening(t *testing.T) {
	s := startServerWith(t, "Subsystem sftp exec sleep 10")
	checkNoLeak(t)
	c := connect(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	sc, err := sftp.NewClient(ctx, c)
	if err == nil {
		sc.Close()
		t.Fatal("NewClient succeeded against a server that never answers")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("NewClient: %v, want context.DeadlineExceeded", err)
	}
	// Nothing was left half-open: the connection still works.
	if out, err := c.Command(t.Context(), "echo ok").Output(); err != nil || string(out) != "ok\n" {
		t.Errorf("echo ok after the failed open: %q, %v", out, err)
	}
}

// TestNoSubsystem checks that a server without an sftp subsystem gives a
// typed error.
func TestNoSubsystem(t *testing.T) {
	s := startServerWith(t, "Subsystem other /bin/true")
	checkNoLeak(t)
	c := connect(t, s)
	sc, err := sftp.NewClient(t.Context(), c)
	if err == nil {
		sc.Close()
		t.Fatal("NewClient succeeded without an sftp subsystem")
	}
	var re *amiko.RequestError
	if !errors.As(err, &re) || re.Request != "subsystem" || re.Detail != "sftp" {
		t.Errorf("NewClient: %v, want a *amiko.RequestError for the sftp subsystem", err)
	}
}

// TestNotConnected checks that a client with no connection, or none at
// all, gives amiko.ErrNotConnected rather than a panic.
func TestNotConnected(t *testing.T) {
	for name, c := range map[string]*amiko.Client{"nil": nil, "unconnected": amiko.NewClient()} {
		sc, err := sftp.NewClient(t.Context(), c)
		if err == nil {
			sc.Close()
			t.Fatalf("%s: NewClient succeeded without a connection", name)
		}
		if !errors.Is(err, amiko.ErrNotConnected) {
			t.Errorf("%s: NewClient: %v, want amiko.ErrNotConnected", name, err)
		}
	}
}
