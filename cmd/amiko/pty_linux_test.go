package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// openPTY opens a pseudo-terminal pair: the test types into master, and
// amiko ssh gets slave as its stdin, as it gets a terminal in real use.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func setSize(t *testing.T, f *os.File, cols, rows int) {
	t.Helper()
	ws := &unix.Winsize{Col: uint16(cols), Row: uint16(rows)}
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		t.Fatal(err)
	}
}

// TestInteractiveShell runs a shell the way a person at a terminal does:
// no command, stdin a terminal. amiko asks for a pty of the terminal's
// size, puts the terminal in raw mode (and back), and passes on a window
// size change (SIGWINCH).
func TestInteractiveShell(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	// os/signal's loop goroutine starts with the first Notify and runs
	// for good: start it before counting goroutines.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGWINCH)
	signal.Stop(c)
	checkNoLeak(t)
	master, slave := openPTY(t)
	// Closing the master ends amiko's read of the slave (EIO), so no
	// stdin goroutine outlives the test.
	defer slave.Close()
	defer master.Close()
	setSize(t, slave, 100, 40)
	before, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}

	var stdout, stderr syncBuffer
	r := &runner{stdin: slave, stdout: &stdout, stderr: &stderr, getenv: os.Getenv}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a hang guard
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- r.run(ctx, append([]string{"ssh"}, e.args(s, "127.0.0.1")...)) }()

	// waitFor types line until the output shows want.
	waitFor := func(line, want string) {
		t.Helper()
		for !strings.Contains(stdout.String(), want) {
			select {
			case code := <-done:
				t.Fatalf("amiko ssh ended (%d) before printing %q:\n%s\n%s", code, want, stdout.String(), stderr.String())
			case <-ctx.Done():
				t.Fatalf("no %q in:\n%s", want, stdout.String())
			case <-time.After(200 * time.Millisecond):
			}
			io.WriteString(master, line)
		}
	}
	waitFor("stty size\r", "40 100")
	raw, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if *raw == *before {
		t.Error("the terminal was not put in raw mode")
	}
	setSize(t, slave, 120, 50)
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	waitFor("stty size\r", "50 120")
	io.WriteString(master, "exit 3\r")
	if code := <-done; code != 3 {
		t.Errorf("exit %d, want the shell's 3", code)
	}
	after, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Error("the terminal's mode was not restored")
	}
	if !strings.Contains(stderr.String(), "Connection to 127.0.0.1 closed.") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestEscapeSequences types escapes at a terminal: ~~ sends one ~, ~?
// lists the escapes, and ~. ends the connection with 255 and ssh's
// closing line, the terminal's mode restored.
func TestEscapeSequences(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGWINCH)
	signal.Stop(c)
	checkNoLeak(t)
	master, slave := openPTY(t)
	defer slave.Close()
	defer master.Close()
	before, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	r := &runner{stdin: slave, stdout: &stdout, stderr: &stderr, getenv: os.Getenv}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a hang guard
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- r.run(ctx, append([]string{"ssh"}, e.args(s, "127.0.0.1")...)) }()
	waitFor := func(out *syncBuffer, line, want string) {
		t.Helper()
		for !strings.Contains(out.String(), want) {
			select {
			case code := <-done:
				t.Fatalf("amiko ssh ended (%d) before printing %q:\n%s\n%s", code, want, stdout.String(), stderr.String())
			case <-ctx.Done():
				t.Fatalf("no %q in:\n%s\n%s", want, stdout.String(), stderr.String())
			case <-time.After(200 * time.Millisecond):
			}
			io.WriteString(master, line)
		}
	}
	waitFor(&stdout, "echo ready\r", "ready")
	// ~~ at a line's start sends one ~: the shell gets "~/x", a path.
	waitFor(&stdout, "\r~~/x; echo sent\r", "sent")
	if got := stdout.String(); !strings.Contains(got, "~/x") || strings.Contains(got, "~~/x") {
		t.Errorf("~~ did not send one ~:\n%s", got)
	}
	waitFor(&stderr, "\r~?", "Supported escape sequences:")
	io.WriteString(master, "\r~.")
	if code := <-done; code != exitFailure {
		t.Errorf("exit %d after ~., want 255", code)
	}
	if got := stderr.String(); !strings.Contains(got, "~.\r\n") || !strings.Contains(got, "Connection to 127.0.0.1 closed.") {
		t.Errorf("stderr %q", got)
	}
	after, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Error("the terminal's mode was not restored")
	}
}
