package connection

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

func TestExecStdoutStderrStatus(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	ch := startExec(t, c, "echo hello; echo err >&2; exit 3")
	ch.CloseWrite()
	r := collect(t, ch)
	if string(r.stdout) != "hello\n" || string(r.stderr) != "err\n" {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if !r.hasStatus || r.status != 3 || r.signal != nil {
		t.Errorf("exit status %d (%v), signal %+v", r.status, r.hasStatus, r.signal)
	}
	ch.Close()
}

func TestExitStatuses(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	for _, code := range []int{0, 1, 2, 42, 127, 128, 200, 254, 255} {
		ch := startExec(t, c, fmt.Sprintf("exit %d", code))
		r := collect(t, ch)
		if !r.hasStatus || r.status != code {
			t.Errorf("exit %d: got %d (%v)", code, r.status, r.hasStatus)
		}
		ch.Close()
	}
}

func TestExitSignal(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	ch := startExec(t, c, "kill -TERM $$")
	r := collect(t, ch)
	if r.signal == nil || r.signal.Signal != "TERM" {
		t.Fatalf("exit signal %+v, status %d (%v)", r.signal, r.status, r.hasStatus)
	}
	if r.hasStatus {
		t.Errorf("exit status %d alongside the signal", r.status)
	}
	ch.Close()
}

func TestManyChannels(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"MaxSessions 30"}})
	c := dial(t, s, s.Addr, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := c.OpenChannel(context.Background(), "session", nil)
			if err != nil {
				errs <- err
				return
			}
			defer ch.Close()
			if ok, err := ch.SendRequest("exec", true, wire.AppendText(nil, fmt.Sprintf("echo %d; exit %d", i, i))); !ok || err != nil {
				errs <- fmt.Errorf("exec %d: %v %v", i, ok, err)
				return
			}
			out := make([]byte, 0, 16)
			buf := make([]byte, 16)
			for {
				n, err := ch.Read(buf)
				out = append(out, buf[:n]...)
				if err != nil {
					break
				}
			}
			<-ch.Done()
			if st, _ := ch.ExitStatus(); string(out) != fmt.Sprintf("%d\n", i) || st != i {
				errs <- fmt.Errorf("channel %d: output %q, status %d", i, out, st)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestOpenFailure(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	// direct-tcpip to a port nothing listens on: sshd refuses the open.
	extra := wire.AppendText(nil, "127.0.0.1")
	extra = wire.AppendUint32(extra, 1)
	extra = wire.AppendText(extra, "127.0.0.1")
	extra = wire.AppendUint32(extra, 12345)
	_, err := c.OpenChannel(context.Background(), "direct-tcpip", extra)
	var oe *OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != OpenConnectFailed {
		t.Fatalf("got %v, want an OpenChannelError with reason connect failed", err)
	}
	t.Log(err)
	// The connection still works.
	ch := startExec(t, c, "echo ok")
	if r := collect(t, ch); string(r.stdout) != "ok\n" {
		t.Fatalf("after the failure: %q", r.stdout)
	}
}

func TestGlobalRequestsInOrder(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	// keepalive@openssh.com is refused, tcpip-forward on port 0 granted
	// with the port: the replies show the order.
	fwd := wire.AppendText(nil, "127.0.0.1")
	fwd = wire.AppendUint32(fwd, 0)
	type res struct {
		ok   bool
		data []byte
		err  error
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]res{}
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r res
			if i%2 == 0 {
				r.ok, r.data, r.err = c.SendGlobalRequest("keepalive@openssh.com", true, nil)
			} else {
				r.ok, r.data, r.err = c.SendGlobalRequest("tcpip-forward", true, fwd)
			}
			mu.Lock()
			got[i] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	for i, r := range got {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if i%2 == 0 && r.ok {
			t.Errorf("keepalive %d granted", i)
		}
		if i%2 == 1 && (!r.ok || len(r.data) != 4) {
			t.Errorf("tcpip-forward %d: %v %x", i, r.ok, r.data)
		}
	}
	// Two keepalives in a row, the second sent before the first's reply.
	for range 2 {
		if ok, _, err := c.SendGlobalRequest("keepalive@openssh.com", true, nil); ok || err != nil {
			t.Fatalf("keepalive: %v %v", ok, err)
		}
	}
}

// TestClientAliveAnswered: sshd with ClientAliveInterval 1 and a count of
// 5 hangs up on a client that does not answer its keepalives within 6 s;
// ours are answered, idle and with a session open, each for longer than
// that. (A count of 5 rather than 2: a client held up for two seconds on
// a loaded machine is not what this checks.)
func TestClientAliveAnswered(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"ClientAliveInterval 1", "ClientAliveCountMax 5"}})
	c := dial(t, s, s.Addr, Config{})
	time.Sleep(7 * time.Second) // global keepalives
	ch := startExec(t, c, "sleep 7; echo alive")
	r := collect(t, ch) // channel keepalives meanwhile
	if string(r.stdout) != "alive\n" {
		t.Fatalf("got %q", r.stdout)
	}
	select {
	case <-c.Done():
		t.Fatalf("connection ended: %v", c.Wait())
	default:
	}
}
