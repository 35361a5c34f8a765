package amiko

import (
	"context"
	"io"
	"maps"
	"slices"
	"time"
)

// ExecOptions are exec_command's parameters besides the command.
type ExecOptions struct {
	// PTY, if set, asks for a pseudo-terminal (paramiko's get_pty);
	// stderr then arrives mixed into stdout.
	PTY *PTY
	// Environment is sent as "env" requests before the command
	// (paramiko's environment); OpenSSH refuses names outside its
	// AcceptEnv, and a refusal fails the call, as in paramiko.
	Environment map[string]string
	// Timeout, if positive, bounds each read of Stdout and Stderr and
	// each write to Stdin that waits (paramiko's timeout, the channel's
	// settimeout): such a call fails with os.ErrDeadlineExceeded.
	Timeout time.Duration
	// ForwardAgent forwards the local agent (SSH_AUTH_SOCK) to the
	// command (ssh -A).
	ForwardAgent bool
}

// ExecCommand runs command on the server (paramiko's exec_command) and
// returns its session: write Stdin (Close sends EOF), read Stdout and
// Stderr, then Wait for the exit status. ctx bounds the start only; for
// a context that bounds the whole run, use Command.
func (c *Client) ExecCommand(ctx context.Context, command string, opts *ExecOptions) (*Session, error) {
	if opts == nil {
		opts = &ExecOptions{}
	}
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	err = s.setup(ctx, opts.PTY, opts.Environment, opts.ForwardAgent)
	if err == nil {
		err = s.Exec(ctx, command)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.timeout = opts.Timeout
	return s, nil
}

// ShellOptions are invoke_shell's parameters. The zero value asks for
// paramiko's vt100 terminal of 80 by 24 characters.
type ShellOptions struct {
	PTY          PTY
	Environment  map[string]string
	ForwardAgent bool
}

// InvokeShell starts an interactive shell on a pseudo-terminal
// (paramiko's invoke_shell). Change the terminal's size with
// WindowChange.
func (c *Client) InvokeShell(ctx context.Context, opts *ShellOptions) (*Session, error) {
	if opts == nil {
		opts = &ShellOptions{}
	}
	s, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	pty := opts.PTY
	err = s.setup(ctx, &pty, opts.Environment, opts.ForwardAgent)
	if err == nil {
		err = s.Shell(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// setup sends the requests that come before the command: agent
// forwarding, the pty, and the environment in name order.
func (s *Session) setup(ctx context.Context, pty *PTY, env map[string]string, forwardAgent bool) error {
	if forwardAgent {
		if err := s.RequestAgentForwarding(ctx); err != nil {
			return err
		}
	}
	if pty != nil {
		if err := s.RequestPTY(ctx, *pty); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if err := s.Setenv(ctx, name, env[name]); err != nil {
			return err
		}
	}
	return nil
}

// timedReader applies a per-call deadline to a session stream.
type timedReader struct {
	s *Session
	r io.Reader
}

func (t timedReader) Read(p []byte) (int, error) {
	t.s.ch.SetReadDeadline(time.Now().Add(t.s.timeout))
	return t.r.Read(p)
}

type timedWriter struct{ s *Session }

func (t timedWriter) Write(p []byte) (int, error) {
	t.s.ch.SetWriteDeadline(time.Now().Add(t.s.timeout))
	return t.s.ch.Write(p)
}

func (t timedWriter) Close() error { return t.s.ch.CloseWrite() }
