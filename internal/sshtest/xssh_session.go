package sshtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// serveSessions is the x/crypto server's default connection handler: it
// refuses global requests and every channel type but "session", and
// serves sessions until the connection ends.
func (x *xsshServer) serveSessions(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			x.log.Printf("accepting session: %v", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.session(ch, creqs)
		}()
	}
	wg.Wait()
}

// session serves one session channel: env and pty-req requests are
// accepted (commands get the variables, but no terminal), and the first
// exec or shell request runs /bin/sh.
func (x *xsshServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	ctx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	var env []string
	var done chan struct{} // closed when the command has run and reported
	for req := range reqs {
		switch req.Type {
		case "env":
			var m struct{ Name, Value string }
			if err := ssh.Unmarshal(req.Payload, &m); err != nil {
				req.Reply(false, nil)
				continue
			}
			env = append(env, m.Name+"="+m.Value)
			req.Reply(true, nil)
		case "pty-req":
			req.Reply(true, nil)
		case "exec", "shell":
			argv := []string{"/bin/sh"}
			if req.Type == "exec" {
				var m struct{ Command string }
				if err := ssh.Unmarshal(req.Payload, &m); err != nil {
					req.Reply(false, nil)
					continue
				}
				argv = append(argv, "-c", m.Command)
			}
			if done != nil {
				req.Reply(false, nil) // one command per session
				continue
			}
			req.Reply(true, nil)
			x.log.Printf("running %q", argv)
			done = make(chan struct{})
			go func() {
				defer close(done)
				x.run(ctx, ch, argv, env)
			}()
		default:
			req.Reply(false, nil)
		}
	}
	// The client closed the channel or went away: stop what still runs.
	cancel()
	if done != nil {
		<-done
	}
	ch.Close()
}

// run runs argv with the channel as its standard streams, then sends the
// exit status, EOF and close.
func (x *xsshServer) run(ctx context.Context, ch ssh.Channel, argv, env []string) {
	defer ch.Close()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	// Its own process group, so that cancelling kills what it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if x.cg != nil {
		x.cg.startIn(cmd.SysProcAttr)
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A background child holding stdout open must not hold the session,
	// but output still on its way must not be cut off either: the copy
	// to the channel waits for the client's window, which a loaded
	// machine may be slow to give, so the grace after the command exits
	// is long.
	cmd.WaitDelay = 10 * time.Second
	// Copying stdin ourselves rather than setting cmd.Stdin: Wait would
	// wait for that copy, which ends only when the client sends EOF.
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "sshtest: %v\n", err)
		sendExitStatus(ch, 127)
		return
	}
	var feeding sync.WaitGroup
	feeding.Add(1)
	go func() {
		defer feeding.Done()
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	err = cmd.Wait()

	var exitErr *exec.ExitError
	switch {
	case err == nil:
		sendExitStatus(ch, 0)
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sendExitSignal(ch, ws.Signal(), ws.CoreDump())
		} else {
			sendExitStatus(ch, exitErr.ExitCode())
		}
	default:
		x.log.Printf("%q: %v", argv, err)
		sendExitStatus(ch, 255)
	}
	ch.CloseWrite()
	ch.Close() // also ends the stdin copy's Read
	feeding.Wait()
}

func sendExitStatus(ch ssh.Channel, code int) {
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
}

// signalNames are the RFC 4254 section 6.10 names, "SIG" left off.
var signalNames = map[syscall.Signal]string{
	syscall.SIGABRT: "ABRT", syscall.SIGALRM: "ALRM", syscall.SIGFPE: "FPE",
	syscall.SIGHUP: "HUP", syscall.SIGILL: "ILL", syscall.SIGINT: "INT",
	syscall.SIGKILL: "KILL", syscall.SIGPIPE: "PIPE", syscall.SIGQUIT: "QUIT",
	syscall.SIGSEGV: "SEGV", syscall.SIGTERM: "TERM", syscall.SIGUSR1: "USR1",
	syscall.SIGUSR2: "USR2",
}

func sendExitSignal(ch ssh.Channel, sig syscall.Signal, core bool) {
	name, ok := signalNames[sig]
	if !ok {
		name = fmt.Sprintf("%d@sshtest", int(sig)) // RFC 4254: local names carry an @domain
	}
	ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
		Signal     string
		CoreDumped bool
		Message    string
		Lang       string
	}{name, core, sig.String(), ""}))
}
