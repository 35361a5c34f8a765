package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"

	"github.com/amiko-ssh/amiko/internal/transport"
)

// ssh runs `amiko ssh args...` and returns the exit status: the remote
// command's, or 255 when amiko itself failed, as ssh does.
func (r *runner) ssh(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(r.stderr, sshUsage)
		return exitFailure
	}
	inv, err := parseSSHArgs(args)
	if errors.Is(err, errVersion) {
		fmt.Fprintf(r.stderr, "amiko %s (%s)\n", transport.Version, runtime.Version())
		return 0
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(r.stderr, "amiko ssh: %s\n%s\n", printable(ue.msg), sshUsage)
		} else {
			fmt.Fprintln(r.stderr, failureLine(err, ""))
		}
		return exitFailure
	}
	log := newLogger(r.stderr, inv.cfg.LogLevel)
	ch, err := r.connect(ctx, inv, log)
	if err != nil {
		return r.failed(ctx, err, inv)
	}
	defer ch.Close()
	return r.afterConnect(ctx, inv, ch, log)
}

// failed prints the one line for err and returns 255. An interrupted
// run (the context's end) prints nothing, as ssh does.
func (r *runner) failed(ctx context.Context, err error, inv *invocation) int {
	if ctx.Err() != nil && (errors.Is(err, ctx.Err()) || errors.Is(err, errInterrupted)) {
		return exitFailure
	}
	if inv.cfg.LogLevel >= logError {
		fmt.Fprintln(r.stderr, failureLine(err, inv.dest.Host))
	}
	return exitFailure
}

// afterConnect does what the command line asked of the connection:
// forwarding, then -W, -N, or a command or shell.
func (r *runner) afterConnect(ctx context.Context, inv *invocation, ch *chain, log *slog.Logger) int {
	fw, err := r.startForwards(ctx, inv, ch, log)
	if err != nil {
		return r.failed(ctx, err, inv)
	}
	defer fw.stop()
	switch {
	case inv.stdioTarget != "":
		return r.stdioForward(ctx, inv, ch)
	case inv.noCommand:
		return r.waitConnection(ctx, inv, ch)
	}
	return r.remote(ctx, inv, ch, fw, log)
}

// waitConnection holds the connection open for the forwards (-N) until
// the context ends (a signal) or the server goes away.
func (r *runner) waitConnection(ctx context.Context, inv *invocation, ch *chain) int {
	done := make(chan error, 1)
	go func() { done <- ch.dest().Wait() }()
	select {
	case <-ctx.Done():
		ch.Close()
		<-done
		return exitFailure
	case err := <-done:
		if err == nil {
			return 0
		}
		return r.failed(ctx, err, inv)
	}
}
