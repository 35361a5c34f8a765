package amiko

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/connection"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// Session is a session channel (RFC 4254 section 6): one remote command,
// shell or subsystem with its standard streams. Set it up with
// RequestPTY, Setenv and RequestAgentForwarding, then start it with
// exactly one of Exec, Shell or Subsystem.
//
// Stdout and Stderr share one flow-control window: read both (or use
// Cmd, which does), or the server stalls once the window is full and
// Wait never returns.
type Session struct {
	cc      *clientConn
	ch      *connection.Channel
	timeout time.Duration // ExecOptions.Timeout
}

// NewSession opens a session channel, within the channel timeout.
func (c *Client) NewSession(ctx context.Context) (*Session, error) {
	cc, err := c.active()
	if err != nil {
		return nil, err
	}
	ch, err := cc.openChannel(ctx, "session", nil)
	if err != nil {
		return nil, err
	}
	return &Session{cc: cc, ch: ch}, nil
}

// openChannel opens a channel, bounded by the channel timeout (paramiko's
// channel_timeout) as well as ctx.
func (cc *clientConn) openChannel(ctx context.Context, typ string, extra []byte) (*connection.Channel, error) {
	if cc.channelTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cc.channelTimeout)
		defer cancel()
	}
	ch, err := cc.mux.OpenChannel(ctx, typ, extra)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, asSSHError(err)
	}
	return ch, nil
}

// RequestError is the server's refusal of a session request: an "env"
// variable not in sshd's AcceptEnv, a pty where the server allows none,
// an unknown subsystem.
type RequestError struct {
	Request string // "pty-req", "env", "exec", "shell", "subsystem", ...
	Detail  string // the variable, command or subsystem name, if any
}

func (e *RequestError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("ssh: server refused the %s request", e.Request)
	}
	return fmt.Sprintf("ssh: server refused the %s request (%s)", e.Request, e.Detail)
}

// Is matches ErrSSH.
func (e *RequestError) Is(target error) bool { return target == ErrSSH }

// request sends a channel request that wants a reply and turns a refusal
// into a *RequestError.
func (s *Session) request(ctx context.Context, name, detail string, payload []byte) error {
	ok, err := s.ch.SendRequestContext(ctx, name, true, payload)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, io.EOF) && s.ranBeforeClose(name) {
			return nil
		}
		return asSSHError(err)
	}
	if !ok {
		return &RequestError{Request: name, Detail: detail}
	}
	return nil
}

// ranBeforeClose reports whether request, which starts a command (exec,
// shell, subsystem), was evidently accepted although the server closed
// the channel without answering it: it told how the command ended. paramiko's servers answer a request only after their callback
// returns, and a quick command can be done and its channel closed by
// then; OpenSSH's client takes the output and status as they come, and
// so does amiko (TestCommandClosedBeforeReply).
func (s *Session) ranBeforeClose(request string) bool {
	if request != "exec" && request != "shell" && request != "subsystem" {
		return false
	}
	_, exited := s.ch.ExitStatus()
	return exited || s.ch.ExitSignal() != nil
}

// PTY describes a pseudo-terminal to request (paramiko's get_pty). The
// zero value is paramiko's default: a vt100 of 80 by 24 characters.
type PTY struct {
	Term          string // the TERM value; "vt100" if empty
	Width, Height int    // in characters; 80 and 24 if zero
	WidthPixels   int
	HeightPixels  int
	// Modes are the terminal modes (RFC 4254 section 8), e.g.
	// ssh.TerminalModes{ssh.ECHO: 0}.
	Modes ssh.TerminalModes
}

func (p PTY) withDefaults() PTY {
	if p.Term == "" {
		p.Term = "vt100"
	}
	if p.Width == 0 {
		p.Width = 80
	}
	if p.Height == 0 {
		p.Height = 24
	}
	return p
}

// RequestPTY asks for a pseudo-terminal for the command or shell.
func (s *Session) RequestPTY(ctx context.Context, p PTY) error {
	p = p.withDefaults()
	b := wire.AppendText(nil, p.Term)
	b = wire.AppendUint32(b, uint32(p.Width))
	b = wire.AppendUint32(b, uint32(p.Height))
	b = wire.AppendUint32(b, uint32(p.WidthPixels))
	b = wire.AppendUint32(b, uint32(p.HeightPixels))
	b = wire.AppendString(b, encodeModes(p.Modes))
	return s.request(ctx, "pty-req", p.Term, b)
}

// encodeModes encodes terminal modes as opcode-value pairs ending with
// TTY_OP_END, in opcode order so the encoding is stable.
func encodeModes(m ssh.TerminalModes) []byte {
	var b []byte
	for op := 1; op < 256; op++ {
		if v, ok := m[uint8(op)]; ok {
			b = wire.AppendUint32(append(b, uint8(op)), v)
		}
	}
	return append(b, 0)
}

// Setenv asks the server to set an environment variable for the command
// (paramiko's set_environment_variable). OpenSSH accepts only the names
// in its AcceptEnv and refuses the rest with a *RequestError.
func (s *Session) Setenv(ctx context.Context, name, value string) error {
	b := wire.AppendText(nil, name)
	b = wire.AppendText(b, value)
	return s.request(ctx, "env", name, b)
}

// Exec starts command (paramiko's exec_command).
func (s *Session) Exec(ctx context.Context, command string) error {
	return s.request(ctx, "exec", command, wire.AppendText(nil, command))
}

// Shell starts the user's login shell (paramiko's invoke_shell).
func (s *Session) Shell(ctx context.Context) error {
	return s.request(ctx, "shell", "", nil)
}

// Subsystem starts a subsystem such as "sftp" (paramiko's
// invoke_subsystem).
func (s *Session) Subsystem(ctx context.Context, name string) error {
	return s.request(ctx, "subsystem", name, wire.AppendText(nil, name))
}

// WindowChange tells the server the terminal's new size.
func (s *Session) WindowChange(width, height, widthPixels, heightPixels int) error {
	b := wire.AppendUint32(nil, uint32(width))
	b = wire.AppendUint32(b, uint32(height))
	b = wire.AppendUint32(b, uint32(widthPixels))
	b = wire.AppendUint32(b, uint32(heightPixels))
	_, err := s.ch.SendRequest("window-change", false, b)
	return asSSHError(err)
}

// Signal names a POSIX signal without its "SIG" prefix (RFC 4254
// section 6.10).
type Signal string

// The signals RFC 4254 names.
const (
	SIGABRT Signal = "ABRT"
	SIGALRM Signal = "ALRM"
	SIGFPE  Signal = "FPE"
	SIGHUP  Signal = "HUP"
	SIGILL  Signal = "ILL"
	SIGINT  Signal = "INT"
	SIGKILL Signal = "KILL"
	SIGPIPE Signal = "PIPE"
	SIGQUIT Signal = "QUIT"
	SIGSEGV Signal = "SEGV"
	SIGTERM Signal = "TERM"
	SIGUSR1 Signal = "USR1"
	SIGUSR2 Signal = "USR2"
)

// Signal sends sig to the remote process. The protocol has no reply:
// OpenSSH delivers it since 8.1 (not to a process on a pty with older
// versions), other servers may ignore it.
func (s *Session) Signal(sig Signal) error {
	_, err := s.ch.SendRequest("signal", false, wire.AppendText(nil, string(sig)))
	return asSSHError(err)
}

// SendEnv passes an environment variable to the command without waiting
// for an answer, as OpenSSH's SendEnv and SetEnv do: the server takes it
// or drops it silently (sshd takes the names its AcceptEnv lists), and
// the session starts a round trip sooner than with Setenv, which asks
// and reports a refusal.
func (s *Session) SendEnv(name, value string) error {
	b := wire.AppendText(nil, name)
	b = wire.AppendText(b, value)
	_, err := s.ch.SendRequest("env", false, b)
	return asSSHError(err)
}

// SendBreak asks the server to send a BREAK of length d (in whole
// milliseconds) to the remote terminal or serial line (RFC 4335), as
// OpenSSH's ~B escape does. No reply is asked for: OpenSSH's sshd sends
// it on the session's pty, other servers may ignore it.
func (s *Session) SendBreak(d time.Duration) error {
	_, err := s.ch.SendRequest("break", false, wire.AppendUint32(nil, uint32(min(d.Milliseconds(), 1<<32-1))))
	return asSSHError(err)
}

// Stdin returns the remote process's standard input; closing it sends
// EOF.
func (s *Session) Stdin() io.WriteCloser {
	if s.timeout > 0 {
		return timedWriter{s}
	}
	return sessionStdin{s.ch}
}

type sessionStdin struct{ ch *connection.Channel }

func (w sessionStdin) Write(p []byte) (int, error) { return w.ch.Write(p) }
func (w sessionStdin) Close() error                { return w.ch.CloseWrite() }

// Stdout returns the remote process's standard output (with a pty, its
// terminal output).
func (s *Session) Stdout() io.Reader {
	if s.timeout > 0 {
		return timedReader{s, s.ch}
	}
	return s.ch
}

// Stderr returns the remote process's standard error (empty with a pty).
func (s *Session) Stderr() io.Reader {
	if s.timeout > 0 {
		return timedReader{s, s.ch.Stderr()}
	}
	return s.ch.Stderr()
}

// SetReadDeadline sets when reads of Stdout and Stderr give up with
// os.ErrDeadlineExceeded; the zero time means never.
func (s *Session) SetReadDeadline(t time.Time) error { return s.ch.SetReadDeadline(t) }

// SetWriteDeadline sets when writes to Stdin give up with
// os.ErrDeadlineExceeded; the zero time means never.
func (s *Session) SetWriteDeadline(t time.Time) error { return s.ch.SetWriteDeadline(t) }

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.ch.Done() }

// Wait waits for the session to end and returns nil for exit status 0,
// an *ExitError for another status or a signal, ErrNoExitStatus when the
// server sent neither, or the connection's error.
func (s *Session) Wait() error {
	<-s.ch.Done()
	return s.exitError()
}

// Close closes the session channel; blocked calls on it return.
func (s *Session) Close() error {
	err := s.ch.Close()
	if errors.Is(err, connection.ErrChannelClosed) {
		return nil
	}
	return asSSHError(err)
}

// ExitError is a remote command that exited with a non-zero status or was
// killed by a signal.
type ExitError struct {
	Status     int    // the exit status; -1 when killed by a signal
	Signal     Signal // the signal that killed it, if one did
	CoreDumped bool
	Message    string // the server's message with a signal
	// Stderr holds the command's standard error when Cmd.Output
	// collected it.
	Stderr []byte
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		s := "ssh: remote command killed by signal " + string(e.Signal)
		if e.CoreDumped {
			s += " (core dumped)"
		}
		if e.Message != "" {
			s += ": " + e.Message
		}
		return s
	}
	return fmt.Sprintf("ssh: remote command exited with status %d", e.Status)
}

// ErrNoExitStatus is Wait's answer when the session ended without an exit
// status or signal, which some servers do when the command is cut off.
var ErrNoExitStatus = asSSHError(errors.New("ssh: session ended without an exit status"))

// exitError reads the outcome of an ended session.
func (s *Session) exitError() error {
	if sig := s.ch.ExitSignal(); sig != nil {
		return &ExitError{Status: -1, Signal: Signal(sig.Signal), CoreDumped: sig.CoreDumped, Message: sig.Message}
	}
	if status, ok := s.ch.ExitStatus(); ok {
		if status == 0 {
			return nil
		}
		return &ExitError{Status: status}
	}
	if err := s.ch.Err(); err != nil && !errors.Is(err, connection.ErrClosed) {
		return asSSHError(err)
	}
	return ErrNoExitStatus
}
