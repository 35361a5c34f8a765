package connection

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// settle waits for the goroutine count to come back to at most want.
func settle(want int) int {
	var n int
	for range 500 {
		n = runtime.NumGoroutine()
		if n <= want {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

func TestNoGoroutineLeft(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	c := dial(t, s, s.Addr, Config{})
	// Channels in every state: finished, open with a blocked reader,
	// open with data unread.
	ch := startExec(t, c, "echo done")
	collect(t, ch)
	blocked := startExec(t, c, "sleep 30")
	readErr := make(chan error, 1)
	go func() { _, err := blocked.Read(make([]byte, 10)); readErr <- err }()
	unread := startExec(t, c, fmt.Sprintf("head -c %d /dev/zero", 1<<20))
	_ = unread
	time.Sleep(100 * time.Millisecond)
	c.Close()
	if err := <-readErr; !errors.Is(err, ErrClosed) {
		t.Errorf("blocked Read returned %v, want ErrClosed", err)
	}
	if err := c.Wait(); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait: %v", err)
	}
	if after := settle(before); after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// TestCloseUnblocks: every kind of blocked call returns when the
// connection closes.
func TestCloseUnblocks(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	reader := startExec(t, c, "sleep 30")
	// A writer blocked on the window: the command reads nothing.
	writer := startExec(t, c, "sleep 30")
	stderr := startExec(t, c, "sleep 30")
	errs := make(chan error, 3)
	go func() { _, err := reader.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := writer.Write(make([]byte, 8<<20)); errs <- err }()
	go func() { _, err := stderr.Stderr().Read(make([]byte, 1)); errs <- err }()
	time.Sleep(200 * time.Millisecond)
	c.Close()
	for range 3 {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("blocked call returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a blocked call did not return after Close")
		}
	}
	if _, err := c.OpenChannel(context.Background(), "session", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("OpenChannel after Close: %v", err)
	}
	if _, _, err := c.SendGlobalRequest("keepalive@openssh.com", true, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("SendGlobalRequest after Close: %v", err)
	}
}

// TestChannelCloseUnblocksRead: closing one channel wakes its reader;
// the connection goes on.
func TestChannelCloseUnblocksRead(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	// cat ends when sshd closes its stdin after our CLOSE; sshd answers
	// CLOSE only once the command has ended.
	ch := startExec(t, c, "cat")
	errc := make(chan error, 1)
	go func() { _, err := ch.Read(make([]byte, 1)); errc <- err }()
	time.Sleep(100 * time.Millisecond)
	ch.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrChannelClosed) {
			t.Errorf("Read returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return after Close")
	}
	select {
	case <-ch.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not close the channel")
	}
	ch2 := startExec(t, c, "echo still")
	if out, _ := io.ReadAll(ch2); string(out) != "still\n" {
		t.Fatalf("got %q", out)
	}
}

// TestOpenTimeout: the context bounds the open. sshd never answers an
// open while MaxStartups... is hard to arrange, so the context is done
// already; the late confirmation is closed and the connection goes on.
func TestOpenTimeout(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.OpenChannel(ctx, "session", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	ch := startExec(t, c, "echo ok")
	if out, _ := io.ReadAll(ch); string(out) != "ok\n" {
		t.Fatalf("got %q", out)
	}
	// The abandoned channel is gone once the server closed it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.chans)
		c.mu.Unlock()
		if n <= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d channels still registered", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
