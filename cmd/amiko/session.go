package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/internal/knownhosts"
)

// remote runs the command (joined with spaces, as ssh joins its
// arguments for the remote shell), the subsystem (-s) or the login
// shell, with the standard streams connected, and returns the exit
// status ssh would: the remote status, or 255 for a remote killed by a
// signal, a session without a status, or a lost connection.
func (r *runner) remote(ctx context.Context, inv *invocation, ch *chain, fw *forwards, log *slog.Logger) int {
	cfg := inv.cfg
	client := ch.dest()
	stdinFD, stdinIsTerm := terminalFD(r.stdin)
	// As ssh, words that join to nothing ("") are no command: the shell.
	command := strings.Join(inv.command, " ")
	usePTY := wantPTY(cfg.RequestTTY, command != "", stdinIsTerm)
	// As ssh: a pty that would be asked for with stdin a terminal (-t,
	// or a shell), but not forced (-tt), is given up with a word.
	if !stdinIsTerm && cfg.RequestTTY != "force" && wantPTY(cfg.RequestTTY, command != "", true) && cfg.LogLevel >= logInfo {
		fmt.Fprintln(r.stderr, "Pseudo-terminal will not be allocated because stdin is not a terminal.")
	}

	s, err := client.NewSession(ctx)
	if err != nil {
		return r.failed(ctx, err, inv)
	}
	defer s.Close()
	if cfg.ForwardAgent && !ch.changed {
		if err := s.RequestAgentForwarding(ctx); err != nil {
			r.infof(cfg)("Agent forwarding request failed: %s", printable(err.Error()))
		}
	}
	if x := x11SettingsOf(cfg); x.Forward && !ch.changed {
		x11 := r.forwardX11(ctx, s, x, r.infof(cfg), log)
		defer x11.stop()
	}
	if usePTY {
		p := amiko.PTY{Term: r.getenv("TERM")}
		if stdinIsTerm {
			p.Width, p.Height, _ = term.GetSize(stdinFD)
		}
		if err := s.RequestPTY(ctx, p); err != nil {
			// As ssh: the command runs without one.
			r.infof(cfg)("PTY allocation request failed: %s", printable(err.Error()))
			usePTY = false
		}
	}
	for _, kv := range environmentToSend(cfg, os.Environ()) {
		name, value, _ := strings.Cut(kv, "=")
		log.Debug("amiko: sending environment variable", "name", name)
		if err := s.SendEnv(name, value); err != nil {
			return r.failed(ctx, err, inv)
		}
	}
	switch {
	case inv.subsystem:
		log.Debug("amiko: starting subsystem", "name", command)
		err = s.Subsystem(ctx, command)
	case command != "":
		log.Debug("amiko: sending command", "command", command)
		err = s.Exec(ctx, command)
	default:
		log.Debug("amiko: starting the login shell")
		err = s.Shell(ctx)
	}
	if err != nil {
		return r.failed(ctx, err, inv)
	}

	var tty *rawTerminal
	if usePTY && stdinIsTerm {
		tty = &rawTerminal{fd: stdinFD}
		tty.raw()
		stopResize := watchWindowSize(stdinFD, s)
		defer stopResize()
	}
	var esc *escapes
	if c := escapeChar(cfg); usePTY && c != escapeNone {
		esc = newEscapes(byte(c), r.stderr, escapeActions{
			sendBreak: func() error { return s.SendBreak(time.Second) },
			rekey:     client.Rekey,
			forwards:  fw.list,
			suspend: func() {
				tty.restore()
				if err := suspendSelf(); err != nil {
					fmt.Fprintf(r.stderr, "%s\r\n", err)
				}
				tty.raw()
				if stdinIsTerm {
					if w, h, err := term.GetSize(stdinFD); err == nil {
						s.WindowChange(w, h, 0, 0)
					}
				}
			},
		})
	}
	code := r.stream(ctx, inv, s, esc, log)
	tty.end()
	if usePTY && cfg.LogLevel >= logInfo {
		fmt.Fprintf(r.stderr, "Connection to %s closed.\n", inv.dest.Host)
	}
	return code
}

// stream connects the standard streams to the session and waits for its
// end. Stdin is copied until it ends (then EOF is sent) but not waited
// for: a terminal that is never closed must not keep ssh running after
// the command exited.
func (r *runner) stream(ctx context.Context, inv *invocation, s *amiko.Session, esc *escapes, log *slog.Logger) int {
	quit := make(chan struct{})
	switch {
	case inv.stdinNull || r.stdin == nil:
		s.Stdin().Close()
	case esc != nil:
		esc.act.quit = func() { close(quit) }
		go func() {
			esc.copy(s.Stdin(), r.stdin)
			s.Stdin().Close()
		}()
	default:
		go func() {
			io.Copy(s.Stdin(), r.stdin)
			s.Stdin().Close()
		}()
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); io.Copy(r.stdout, s.Stdout()) }()
	go func() { defer wg.Done(); io.Copy(r.stderr, s.Stderr()) }()
	copied := make(chan struct{})
	go func() { wg.Wait(); close(copied) }()
	select {
	case <-copied:
	case <-quit: // ~.
		s.Close()
		<-copied
		return exitFailure
	case <-ctx.Done():
		s.Close()
		<-copied
		return exitFailure
	}
	err := s.Wait()
	var ee *amiko.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.Signal != "":
		// ssh reports no status for a remote killed by a signal, and
		// exits 255.
		log.Debug("amiko: remote command killed by signal", "signal", string(ee.Signal), "core_dumped", ee.CoreDumped)
		return exitFailure
	case errors.As(err, &ee):
		return ee.Status & 0xff
	case errors.Is(err, amiko.ErrNoExitStatus):
		log.Debug("amiko: the session ended without an exit status")
		return exitFailure
	}
	return r.failed(ctx, err, inv)
}

// environmentToSend is what SendEnv's patterns match in environ, in its
// order, then SetEnv's pairs, as OpenSSH's ssh sends them.
func environmentToSend(cfg *config, environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && slices.ContainsFunc(cfg.SendEnv, func(p string) bool { return knownhosts.MatchPattern(name, p) }) {
			out = append(out, kv)
		}
	}
	return append(out, cfg.SetEnv...)
}

// wantPTY decides about a pty as ssh does (RequestTTY): "auto" asks for
// one for a shell when stdin is a terminal, "yes" (-t) whenever stdin
// is a terminal, "force" (-tt) always, "no" (-T) never.
func wantPTY(mode string, haveCommand, stdinIsTerm bool) bool {
	switch mode {
	case "force":
		return true
	case "yes":
		return stdinIsTerm
	case "no":
		return false
	}
	return !haveCommand && stdinIsTerm
}

// terminalFD returns r's descriptor if it is a terminal.
func terminalFD(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// rawTerminal puts the user's terminal in raw mode and back. ~^Z does
// both from the input goroutine while the session's end restores it
// from the main one, hence the lock. A nil *rawTerminal (no terminal)
// does nothing.
type rawTerminal struct {
	fd    int
	mu    sync.Mutex
	saved *term.State // the mode before raw; nil when not raw
	ended bool
}

func (t *rawTerminal) raw() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.saved == nil && !t.ended {
		if old, err := term.MakeRaw(t.fd); err == nil {
			t.saved = old
		}
	}
}

func (t *rawTerminal) restore() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.restoreLocked()
}

func (t *rawTerminal) restoreLocked() {
	if t.saved != nil {
		term.Restore(t.fd, t.saved)
		t.saved = nil
	}
}

// end restores the terminal for good: a ~^Z resumed later leaves it.
func (t *rawTerminal) end() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.restoreLocked()
	t.ended = true
}
