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

// terminalRun is amiko ssh running a shell at a test's pseudo-terminal:
// the test types into master and reads what amiko wrote.
type terminalRun struct {
	t              *testing.T
	master, slave  *os.File
	stdout, stderr syncBuffer
	ctx            context.Context
	done           chan int // the exit status
}

// newTerminalRun makes a pseudo-terminal of cols x rows for a run of
// amiko ssh, with the leak check counting from before it.
func newTerminalRun(t *testing.T, cols, rows int) *terminalRun {
	// os/signal's loop goroutine starts with the first Notify and runs
	// for good: start it before counting goroutines.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGWINCH)
	signal.Stop(c)
	checkNoLeak(t)
	tr := &terminalRun{t: t, done: make(chan int, 1)}
	tr.master, tr.slave = openPTY(t)
	// Closing the master ends amiko's read of the slave (EIO), so no
	// stdin goroutine outlives the test.
	t.Cleanup(func() { tr.master.Close(); tr.slave.Close() })
	setSize(t, tr.slave, cols, rows)
	var cancel context.CancelFunc
	tr.ctx, cancel = context.WithTimeout(t.Context(), time.Minute) // a hang guard
	t.Cleanup(cancel)
	return tr
}

// run starts amiko ssh with args; call it once the terminal's state
// before is known.
func (tr *terminalRun) run(args []string) {
	r := &runner{stdin: tr.slave, stdout: &tr.stdout, stderr: &tr.stderr, getenv: os.Getenv}
	go func() { tr.done <- r.run(tr.ctx, append([]string{"ssh"}, args...)) }()
}

// waitFor types line until out shows want.
func (tr *terminalRun) waitFor(out *syncBuffer, line, want string) {
	tr.t.Helper()
	for !strings.Contains(out.String(), want) {
		select {
		case code := <-tr.done:
			tr.t.Fatalf("amiko ssh ended (%d) before printing %q:\n%s\n%s", code, want, tr.stdout.String(), tr.stderr.String())
		case <-tr.ctx.Done():
			tr.t.Fatalf("no %q in:\n%s\n%s", want, tr.stdout.String(), tr.stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		io.WriteString(tr.master, line)
	}
}

// state is the terminal's mode.
func (tr *terminalRun) state() term.State {
	tr.t.Helper()
	st, err := term.GetState(int(tr.slave.Fd()))
	if err != nil {
		tr.t.Fatal(err)
	}
	return *st
}

// TestInteractiveShell runs a shell the way a person at a terminal does:
// no command, stdin a terminal. amiko asks for a pty of the terminal's
// size, puts the terminal in raw mode (and back), and passes on a window
// size change (SIGWINCH).
func TestInteractiveShell(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	tr := newTerminalRun(t, 100, 40)
	before := tr.state()
	tr.run(e.args(s, "127.0.0.1"))
	tr.waitFor(&tr.stdout, "stty size\r", "40 100")
	if tr.state() == before {
		t.Error("the terminal was not put in raw mode")
	}
	setSize(t, tr.slave, 120, 50)
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	tr.waitFor(&tr.stdout, "stty size\r", "50 120")
	io.WriteString(tr.master, "exit 3\r")
	if code := <-tr.done; code != 3 {
		t.Errorf("exit %d, want the shell's 3", code)
	}
	if tr.state() != before {
		t.Error("the terminal's mode was not restored")
	}
	if !strings.Contains(tr.stderr.String(), "Connection to 127.0.0.1 closed.") {
		t.Errorf("stderr %q", tr.stderr.String())
	}
}

// TestEscapeSequences types escapes at a terminal: ~~ sends one ~, ~?
// lists the escapes, and ~. ends the connection with 255 and ssh's
// closing line, the terminal's mode restored.
func TestEscapeSequences(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	tr := newTerminalRun(t, 80, 24)
	before := tr.state()
	tr.run(e.args(s, "127.0.0.1"))
	tr.waitFor(&tr.stdout, "echo ready\r", "ready")
	// ~~ at a line's start sends one ~: the shell gets "~/x", a path.
	tr.waitFor(&tr.stdout, "\r~~/x; echo sent\r", "sent")
	if got := tr.stdout.String(); !strings.Contains(got, "~/x") || strings.Contains(got, "~~/x") {
		t.Errorf("~~ did not send one ~:\n%s", got)
	}
	tr.waitFor(&tr.stderr, "\r~?", "Supported escape sequences:")
	io.WriteString(tr.master, "\r~.")
	if code := <-tr.done; code != exitFailure {
		t.Errorf("exit %d after ~., want 255", code)
	}
	if got := tr.stderr.String(); !strings.Contains(got, "~.\r\n") || !strings.Contains(got, "Connection to 127.0.0.1 closed.") {
		t.Errorf("stderr %q", got)
	}
	if tr.state() != before {
		t.Error("the terminal's mode was not restored")
	}
}
