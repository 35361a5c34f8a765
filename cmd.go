package amiko

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
)

// Cmd is a remote command prepared to run, in the shape of os/exec's Cmd:
// set Stdin, Stdout and Stderr (or ask for pipes), then Run, or Start and
// Wait; Output and CombinedOutput collect what it prints.
//
// Cancelling the context given to Command sends the process SIGKILL (the
// "signal" request, which OpenSSH honours since 8.1) and then closes the
// session, so the command is not left running where the server delivers
// the signal; Wait then returns the context's error.
type Cmd struct {
	// Command is the command line, run by the user's shell on the server.
	Command string
	// Env holds "NAME=value" entries sent as "env" requests; OpenSSH
	// accepts only the names in its AcceptEnv and Start fails on a
	// refused one.
	Env []string
	// PTY, if set, runs the command on a pseudo-terminal.
	PTY *PTY
	// ForwardAgent forwards the local agent to the command.
	ForwardAgent bool

	// Stdin, if set, is copied to the command's standard input, which is
	// closed when Stdin ends. If nil, the command's input is closed at
	// once, as os/exec gives the null device. Wait does not wait for the
	// copy: a Stdin that blocks (a terminal) does not keep Wait blocked
	// once the command exited.
	Stdin io.Reader
	// Stdout and Stderr, if set, receive the command's output; if nil it
	// is discarded (but still read, so the command is never stalled). If
	// both are the same writer, at most one goroutine writes at a time.
	Stdout io.Writer
	Stderr io.Writer

	// Session is the running command's session, set by Start: for
	// Signal and WindowChange.
	Session *Session

	ctx    context.Context
	client *Client

	stdinPipe  bool
	stdoutPipe bool
	stderrPipe bool

	copiers  sync.WaitGroup
	copyErr  error
	copyMu   sync.Mutex
	stop     func() bool // ends the context watch
	waitDone bool
}

// Command returns a Cmd to run command on the server. ctx bounds the
// whole run: see Cmd for what cancelling it does.
func (c *Client) Command(ctx context.Context, command string) *Cmd {
	return &Cmd{Command: command, ctx: ctx, client: c}
}

var errStarted = errors.New("amiko: command already started")

// StdinPipe returns a pipe to the command's standard input; closing it
// sends EOF. It must be called before Start.
func (c *Cmd) StdinPipe() (io.WriteCloser, error) {
	if c.Session != nil {
		return nil, errStarted
	}
	if c.Stdin != nil {
		return nil, errors.New("amiko: Stdin already set")
	}
	c.stdinPipe = true
	return lazyStdin{c}, nil
}

// StdoutPipe returns a pipe to the command's standard output. Read it
// to its end before Wait. It must be called before Start.
func (c *Cmd) StdoutPipe() (io.Reader, error) {
	if c.Session != nil {
		return nil, errStarted
	}
	if c.Stdout != nil {
		return nil, errors.New("amiko: Stdout already set")
	}
	c.stdoutPipe = true
	return lazyReader{c, false}, nil
}

// StderrPipe returns a pipe to the command's standard error. Read it to
// its end before Wait. It must be called before Start.
func (c *Cmd) StderrPipe() (io.Reader, error) {
	if c.Session != nil {
		return nil, errStarted
	}
	if c.Stderr != nil {
		return nil, errors.New("amiko: Stderr already set")
	}
	c.stderrPipe = true
	return lazyReader{c, true}, nil
}

// The pipes exist before the session does; they are used after Start.
type lazyStdin struct{ c *Cmd }

func (p lazyStdin) Write(b []byte) (int, error) {
	if p.c.Session == nil {
		return 0, errors.New("amiko: command not started")
	}
	return p.c.Session.Stdin().Write(b)
}

func (p lazyStdin) Close() error {
	if p.c.Session == nil {
		return errors.New("amiko: command not started")
	}
	return p.c.Session.Stdin().Close()
}

type lazyReader struct {
	c      *Cmd
	stderr bool
}

func (p lazyReader) Read(b []byte) (int, error) {
	if p.c.Session == nil {
		return 0, errors.New("amiko: command not started")
	}
	if p.stderr {
		return p.c.Session.Stderr().Read(b)
	}
	return p.c.Session.Stdout().Read(b)
}

// Start starts the command and does not wait for it.
func (c *Cmd) Start() error {
	if c.Session != nil {
		return errStarted
	}
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	env := make(map[string]string, len(c.Env))
	for _, kv := range c.Env {
		name, value, _ := strings.Cut(kv, "=")
		env[name] = value
	}
	s, err := c.client.ExecCommand(ctx, c.Command, &ExecOptions{PTY: c.PTY, Environment: env, ForwardAgent: c.ForwardAgent})
	if err != nil {
		return err
	}
	c.Session = s
	c.stop = context.AfterFunc(ctx, func() {
		s.Signal(SIGKILL)
		s.Close()
	})

	if !c.stdinPipe {
		if c.Stdin == nil {
			s.Stdin().Close()
		} else {
			go func() {
				io.Copy(s.Stdin(), c.Stdin)
				s.Stdin().Close()
			}()
		}
	}
	stdout, stderr := c.Stdout, c.Stderr
	if stdout != nil && stdout == stderr {
		w := &lockedWriter{w: stdout}
		stdout, stderr = w, w
	}
	if !c.stdoutPipe {
		c.copy(stdout, s.Stdout())
	}
	if !c.stderrPipe {
		c.copy(stderr, s.Stderr())
	}
	return nil
}

// copy drains r into w (or nowhere) on a goroutine Wait waits for.
func (c *Cmd) copy(w io.Writer, r io.Reader) {
	if w == nil {
		w = io.Discard
	}
	c.copiers.Add(1)
	go func() {
		defer c.copiers.Done()
		if _, err := io.Copy(w, r); err != nil {
			c.copyMu.Lock()
			if c.copyErr == nil {
				c.copyErr = err
			}
			c.copyMu.Unlock()
		}
	}()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Wait waits for the command to exit and its output to be copied. It
// returns nil for exit status 0, an *ExitError for another status or a
// signal, the context's error if it was cancelled first, or the error
// that ended the connection.
func (c *Cmd) Wait() error {
	if c.Session == nil {
		return errors.New("amiko: command not started")
	}
	if c.waitDone {
		return errors.New("amiko: Wait was already called")
	}
	c.waitDone = true
	c.copiers.Wait()
	err := c.Session.Wait()
	if !c.stop() && c.ctx != nil && c.ctx.Err() != nil {
		return c.ctx.Err()
	}
	c.Session.Close()
	if err == nil && c.copyErr != nil {
		return c.copyErr
	}
	return err
}

// Run starts the command and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the command and returns its standard output. If Stderr is
// nil, an *ExitError carries what the command wrote there.
func (c *Cmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("amiko: Stdout already set")
	}
	var out bytes.Buffer
	c.Stdout = &out
	var errBuf *bytes.Buffer
	if c.Stderr == nil {
		errBuf = &bytes.Buffer{}
		c.Stderr = errBuf
	}
	err := c.Run()
	var ee *ExitError
	if errBuf != nil && errors.As(err, &ee) {
		ee.Stderr = errBuf.Bytes()
	}
	return out.Bytes(), err
}

// CombinedOutput runs the command and returns its standard output and
// standard error together, in the order they arrived.
func (c *Cmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil || c.Stderr != nil {
		return nil, errors.New("amiko: Stdout or Stderr already set")
	}
	var b bytes.Buffer
	c.Stdout = &b
	c.Stderr = &b
	err := c.Run()
	return b.Bytes(), err
}
