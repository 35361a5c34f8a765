package amiko

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"golang.org/x/crypto/ssh"
)

// connectTo connects a client to s with its user key.
func connectTo(t *testing.T, s *sshtest.Server, o *ConnectOptions) *Client {
	t.Helper()
	if o == nil {
		o = &ConnectOptions{}
	}
	o.Port, o.Username = port(t, s.Addr), s.User
	if o.PKey == nil {
		o.PKey = s.UserKey
	}
	o.DisableAgent, o.DisableKeyDiscovery = true, true
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkNoLeak: see leaktest.Check.
func checkNoLeak(t *testing.T) { leaktest.Check(t) }

func TestExitStatuses(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	for status := range 256 {
		err := c.Command(t.Context(), fmt.Sprintf("exit %d", status)).Run()
		var ee *ExitError
		switch {
		case status == 0 && err != nil:
			t.Errorf("exit 0: %v", err)
		case status != 0 && (!errors.As(err, &ee) || ee.Status != status):
			t.Errorf("exit %d: got %v", status, err)
		}
	}
	for _, sig := range []Signal{SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR1} {
		err := c.Command(t.Context(), "kill -"+string(sig)+" $$").Run()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Signal != sig || ee.Status != -1 {
			t.Errorf("kill -%s: got %v", sig, err)
		}
	}
	c.Close()
}

func TestStreamsKeptApart(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	cmd := c.Command(t.Context(), "cat; echo to-stderr >&2; exit 3")
	cmd.Stdin = strings.NewReader("to-stdout\n")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Status != 3 {
		t.Fatalf("Run: %v", err)
	}
	if out.String() != "to-stdout\n" || errOut.String() != "to-stderr\n" {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	// Output keeps stderr in the exit error.
	_, err = c.Command(t.Context(), "echo oops >&2; false").Output()
	if !errors.As(err, &ee) || string(ee.Stderr) != "oops\n" {
		t.Fatalf("Output: %v", err)
	}
	b, err := c.Command(t.Context(), "echo a; sleep 0.1; echo b >&2").CombinedOutput()
	if err != nil || string(b) != "a\nb\n" {
		t.Fatalf("CombinedOutput: %q %v", b, err)
	}
	c.Close()
}

// TestLargeBothWays pushes data through cat while reading it back, both
// windows full at once: no deadlock, the bytes unchanged.
func TestLargeBothWays(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	size := int64(64 << 20)
	if raceEnabled {
		size = 8 << 20
	}
	cmd := c.Command(t.Context(), "cat; cat /dev/null >&2")
	in := io.LimitReader(pattern{}, size)
	cmd.Stdin = in
	h := sha256.New()
	cmd.Stdout = h
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, io.LimitReader(pattern{}, size))
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatal("data changed on the way")
	}
	c.Close()
}

// pattern is an endless reader of non-repeating-looking bytes.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return len(p), nil
}

func TestPTYAndEnvironment(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"AcceptEnv AMIKO_*"}})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	sess, err := c.ExecCommand(t.Context(), "stty size; echo $TERM $AMIKO_TEST", &ExecOptions{
		PTY:         &PTY{Term: "xterm", Width: 132, Height: 43},
		Environment: map[string]string{"AMIKO_TEST": "hello"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(sess.Stdout())
	if err := sess.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(out), "\r", ""); got != "43 132\nxterm hello\n" {
		t.Fatalf("got %q", got)
	}
	// A name outside AcceptEnv is refused, and the call fails.
	_, err = c.ExecCommand(t.Context(), "true", &ExecOptions{Environment: map[string]string{"OTHER": "x"}})
	var re *RequestError
	if !errors.As(err, &re) || re.Request != "env" || re.Detail != "OTHER" || !errors.Is(err, ErrSSH) {
		t.Fatalf("env outside AcceptEnv: %v", err)
	}
	// SendEnv asks nothing: an accepted name arrives, a refused one is
	// dropped by the server without failing the session.
	sess, err = c.NewSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.SendEnv("AMIKO_SENT", "yes"); err != nil {
		t.Fatal(err)
	}
	if err := sess.SendEnv("OTHER", "x"); err != nil {
		t.Fatal(err)
	}
	if err := sess.Exec(t.Context(), "echo $AMIKO_SENT ${OTHER:-unset}"); err != nil {
		t.Fatal(err)
	}
	out, _ = io.ReadAll(sess.Stdout())
	if err := sess.Wait(); err != nil || string(out) != "yes unset\n" {
		t.Fatalf("SendEnv: %q %v", out, err)
	}
	c.Close()
}

func TestShellWindowChange(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	sh, err := c.InvokeShell(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	stdin := sh.Stdin()
	io.WriteString(stdin, "stty size\n")
	if err := readUntil(sh.Stdout(), "24 80"); err != nil {
		t.Fatal(err)
	}
	if err := sh.WindowChange(100, 30, 0, 0); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "stty size; exit 7\n")
	if err := readUntil(sh.Stdout(), "30 100"); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, sh.Stdout())
	var ee *ExitError
	if err := sh.Wait(); !errors.As(err, &ee) || ee.Status != 7 {
		t.Fatalf("Wait: %v", err)
	}
	c.Close()
}

// readUntil reads r until want was seen.
func readUntil(r io.Reader, want string) error {
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte(want)) {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return fmt.Errorf("read %q, no %q: %w", got, want, err)
		}
	}
	return nil
}

// TestCancelKillsCommand: cancelling Command's context signals the
// process and closes the session; Wait returns the context's error and
// the process is gone.
func TestCancelKillsCommand(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	// A unique duration marks the process; the pattern's brackets keep
	// pgrep from finding the shell that runs it.
	secs := fmt.Sprintf("1000.%d", time.Now().UnixNano()%1e6)
	ctx, cancel := context.WithCancel(t.Context())
	cmd := c.Command(ctx, "sleep "+secs)
	pgrep := "pgrep -f '[s]leep " + secs + "' || true"
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the process runs, then cancel (30 s: hang guards).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := c.Command(t.Context(), pgrep).Output()
		if len(out) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command never ran; sshd log:\n%s", s.Log())
		}
	}
	cancel()
	if err := cmd.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := c.Command(t.Context(), pgrep).Output()
		if len(out) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running; sshd log:\n%s", s.Log())
		}
	}
	c.Close()
}

// TestExecTimeout: ExecOptions.Timeout bounds a read that waits.
func TestExecTimeout(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	sess, err := c.ExecCommand(t.Context(), "sleep 30", &ExecOptions{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Stdout().Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read: %v", err)
	}
	sess.Close()
	c.Close()
}

// TestCommandClosedBeforeReply: a server that runs the command and
// closes its channel before it answers the exec request (paramiko's
// servers can: they answer after their callback returns, and a quick
// command may be done by then) still gives the command's output and exit
// status, as OpenSSH's client does.
func TestCommandClosedBeforeReply(t *testing.T) {
	isolate(t)
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Handler: func(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go func() {
				for req := range creqs {
					if req.Type != "exec" {
						req.Reply(false, nil)
						continue
					}
					ch.Write([]byte("hello\n"))
					ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{3}))
					ch.CloseWrite()
					ch.Close()
					req.Reply(true, nil) // too late: x/crypto sends nothing after its CLOSE
				}
			}()
		}
	}})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	out, err := c.Command(t.Context(), "echo hello; exit 3").Output()
	var ee *ExitError
	if string(out) != "hello\n" || !errors.As(err, &ee) || ee.Status != 3 {
		t.Fatalf("got %q, %v; want the output and exit status 3", out, err)
	}
	c.Close()
}

// TestSendBreakAndRekey: SendBreak sends RFC 4335's "break" with its
// length in milliseconds and no reply wanted, and Client.Rekey runs a
// key exchange on a live connection, which then still carries sessions.
func TestSendBreakAndRekey(t *testing.T) {
	isolate(t)
	breaks := make(chan []byte, 1)
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Handler: func(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go func() {
				for req := range creqs {
					switch req.Type {
					case "break":
						if req.WantReply {
							breaks <- nil
						} else {
							breaks <- req.Payload
						}
					case "shell":
						req.Reply(true, nil)
					default:
						req.Reply(false, nil)
					}
				}
				ch.Close()
			}()
		}
	}})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	defer c.Close()
	sess, err := c.NewSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Shell(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := sess.SendBreak(1500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if p := <-breaks; !bytes.Equal(p, []byte{0, 0, 0x05, 0xdc}) {
		t.Fatalf("break payload %x, want 1500 ms and no reply wanted", p)
	}

	c.mu.Lock()
	tr := c.conn.t
	c.mu.Unlock()
	before := tr.KexCount()
	if err := c.Rekey(); err != nil {
		t.Fatal(err)
	}
	// Sessions go on during and after the exchange.
	hangGuard := time.Now().Add(time.Minute)
	for tr.KexCount() == before {
		if time.Now().After(hangGuard) {
			t.Fatal("no key exchange after Rekey")
		}
		s2, err := c.NewSession(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		s2.Close()
	}
	if err := NewClient().Rekey(); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Rekey without a connection: %v", err)
	}
}
