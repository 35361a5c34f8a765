package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// runner is one run of the tool with its surroundings: the standard
// streams, the environment and the terminal to ask on. main fills it
// from the process; tests fill it with buffers and fakes, and call run
// in-process.
type runner struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// ask is where passwords, passphrases and host key questions go;
	// nil when there is no terminal to ask on.
	ask prompter
	// listening, if set, is told where each -L and -R forward listens
	// (for tests, which forward from port 0).
	listening func(spec string, addr net.Addr)
}

const usage = `usage: amiko <command> [arguments]

commands:
  ssh    connect to a server and run a command or a shell, as OpenSSH's ssh
  demo   walk through connecting to an SSH server started in-process

Run "amiko ssh" without arguments for its usage.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// The first signal ends the run gracefully; a second one, should
	// that hang, kills the process as usual.
	context.AfterFunc(ctx, stop)
	r := &runner{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if hasTTY() {
		r.ask = ttyPrompter{path: "/dev/tty", done: ctx.Done()}
	}
	code := r.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the command line args (without the program name) and returns
// the exit status: main's work, apart from the process, so that tests
// run it in-process.
func (r *runner) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(r.stderr, usage)
		return 2
	}
	switch args[0] {
	case "ssh":
		return r.ssh(ctx, args[1:])
	case "demo":
		return r.demo(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(r.stdout, usage)
		return 0
	}
	fmt.Fprintf(r.stderr, "amiko: unknown command %q\n%s\n", args[0], usage)
	return 2
}
