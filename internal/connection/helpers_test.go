package connection

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/transport"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// scaled returns n, or n/div under the race detector, which slows crypto
// about tenfold.
func scaled(n, div int) int {
	if raceEnabled {
		return n / div
	}
	return n
}

// dial connects to addr (s itself or a proxy in front of it),
// authenticates and starts the connection protocol.
func dial(t *testing.T, s *sshtest.Server, addr string, cfg Config) *Conn {
	t.Helper()
	return dialWrapped(t, s, addr, cfg, nil)
}

// dialWrapped is dial with the connection protocol running over
// wrap(transport), when wrap is not nil.
func dialWrapped(t *testing.T, s *sshtest.Server, addr string, cfg Config, wrap func(Transport) Transport) *Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := transport.Client(context.Background(), nc, &transport.Config{
		HostKeyCallback: func(k ssh.PublicKey) error { return s.HostKeyCallback()(s.Addr, nil, k) },
	})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	if err := auth.RequestService(tc); err != nil {
		tc.Close()
		t.Fatal(err)
	}
	if err := auth.PublicKey(tc, s.User, s.UserKey); err != nil {
		tc.Close()
		t.Fatal(err)
	}
	var tr Transport = tc
	if wrap != nil {
		tr = wrap(tc)
	}
	c := NewWithConfig(tr, cfg)
	t.Cleanup(func() { c.Close() })
	return c
}

// startExec opens a session channel and starts cmd on it.
func startExec(t *testing.T, c *Conn, cmd string) *Channel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := c.OpenChannel(ctx, "session", nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := ch.SendRequest("exec", true, wire.AppendText(nil, cmd))
	if err != nil || !ok {
		t.Fatalf("exec %q: %v %v", cmd, ok, err)
	}
	return ch
}

// result is what a command produced.
type result struct {
	stdout, stderr []byte
	status         int
	hasStatus      bool
	signal         *ExitSignal
}

// collect reads stdout and stderr to the end and waits for the channel
// to be done.
func collect(t *testing.T, ch *Channel) result {
	t.Helper()
	var r result
	var wg sync.WaitGroup
	var errOut, errErr error
	var out, errb bytes.Buffer
	wg.Add(2)
	go func() { defer wg.Done(); _, errOut = io.Copy(&out, ch) }()
	go func() { defer wg.Done(); _, errErr = io.Copy(&errb, ch.Stderr()) }()
	wg.Wait()
	if errOut != nil || errErr != nil {
		t.Fatalf("read: %v / %v", errOut, errErr)
	}
	select {
	case <-ch.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("channel not done 20 s after EOF")
	}
	r.stdout, r.stderr = out.Bytes(), errb.Bytes()
	r.status, r.hasStatus = ch.ExitStatus()
	r.signal = ch.ExitSignal()
	return r
}
