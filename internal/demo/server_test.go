package demo

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko"
)

// testServer starts the demo server for t with generated keys, and
// returns it with a connected client. The server is closed at the end of
// the test unless the test closes it first.
func testServer(t *testing.T) (*server, *amiko.Client) {
	t.Helper()
	dir := t.TempDir()
	host, _, err := newKeyFile(dir, "host")
	if err != nil {
		t.Fatal(err)
	}
	user, _, err := newKeyFile(dir, "user")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(dir, host, "u", "pw", user.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })
	c := amiko.NewClient()
	c.SetMissingHostKeyPolicy(amiko.HostKeyCallbackPolicy(ssh.FixedHostKey(host.PublicKey())))
	err = c.Connect(t.Context(), "127.0.0.1", &amiko.ConnectOptions{
		Port: srv.addr().Port, Username: "u", PKey: user,
		DisableAgent: true, DisableKeyDiscovery: true, Timeout: connectTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

// TestServerExec checks what the demo relies on and what a user of the
// demo server might try: stdout and stderr apart, exit statuses and
// signals, stdin, and clear refusals of what it does not do.
func TestServerExec(t *testing.T) {
	checkNoLeak(t)
	_, c := testServer(t)
	ctx := t.Context()

	var stdout, stderr strings.Builder
	cmd := c.Command(ctx, "echo out; echo err >&2; exit 7")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var ee *amiko.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.Status != 7 {
		t.Errorf("exit 7: got %v", err)
	}
	if stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}

	cmd = c.Command(ctx, "tr a-z A-Z")
	cmd.Stdin = strings.NewReader("through stdin")
	if out, err := cmd.Output(); err != nil || string(out) != "THROUGH STDIN" {
		t.Errorf("stdin: got %q, %v", out, err)
	}

	if err := c.Command(ctx, "kill -TERM $$").Run(); !errors.As(err, &ee) || ee.Signal != amiko.SIGTERM {
		t.Errorf("kill -TERM: got %v", err)
	}

	var re *amiko.RequestError
	_, err := c.ExecCommand(ctx, "true", &amiko.ExecOptions{Environment: map[string]string{"A": "b"}})
	if !errors.As(err, &re) || re.Request != "env" {
		t.Errorf("env: want a refusal, got %v", err)
	}
	_, err = c.ExecCommand(ctx, "true", &amiko.ExecOptions{PTY: &amiko.PTY{}})
	if !errors.As(err, &re) || re.Request != "pty-req" {
		t.Errorf("pty: want a refusal, got %v", err)
	}
	s, err := c.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Subsystem(ctx, "nope"); !errors.As(err, &re) {
		t.Errorf("unknown subsystem: want a refusal, got %v", err)
	}
	s.Close()
}

// startSleeper runs a command that would run for a minute and returns
// its session and process id, once it runs.
func startSleeper(t *testing.T, c *amiko.Client) (*amiko.Session, int) {
	t.Helper()
	s, err := c.ExecCommand(t.Context(), "echo $$; exec sleep 60", nil)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(s.Stdout()).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return s, pid
}

// waitGone waits for process pid to be killed and reaped.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
	}
	t.Errorf("process %d still exists", pid)
}

// TestServerSessionClosedKillsCommand: a client that closes the session
// of a running command does not leave the command running.
func TestServerSessionClosedKillsCommand(t *testing.T) {
	checkNoLeak(t)
	_, c := testServer(t)
	s, pid := startSleeper(t, c)
	s.Close()
	waitGone(t, pid)
}

// TestServerCloseEndsEverything: close returns with a connection stuck
// before its handshake and a command running, kills the command, and
// leaves no goroutine (checkNoLeak).
func TestServerCloseEndsEverything(t *testing.T) {
	checkNoLeak(t)
	srv, c := testServer(t)
	raw, err := net.Dial("tcp", srv.addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	s, pid := startSleeper(t, c)

	closed := make(chan error, 1)
	go func() { closed <- srv.close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(time.Minute): // hang guard
		t.Fatal("close did not return")
	}
	waitGone(t, pid)
	if err := s.Wait(); err == nil {
		t.Error("the session of a killed server's command ended with status 0")
	}
	raw.SetReadDeadline(time.Now().Add(time.Minute)) // hang guard
	if _, err := io.ReadAll(raw); err != nil {
		t.Errorf("the raw connection was not closed: %v", err)
	}
}
