package demo

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// server is the demo's SSH server: golang.org/x/crypto/ssh's server
// on 127.0.0.1, one user with a password and one authorized key, session
// channels with "exec" (through /bin/sh -c) and the "sftp" subsystem.
// It is demo code, small on purpose, but close leaves nothing behind: no
// goroutine, no connection, no process.
type server struct {
	ln     net.Listener
	config *ssh.ServerConfig
	dir    string // commands run here; SFTP's working directory

	// ctx ends with close and kills the commands still running.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}
	authLog []string
}

// startServer listens on an ephemeral port of 127.0.0.1 and serves
// connections until close.
func startServer(dir string, hostKey ssh.Signer, user, password string, userKey ssh.PublicKey) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{ln: ln, dir: dir, conns: map[net.Conn]struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.config = &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == user && subtle.ConstantTimeCompare(pw, []byte(password)) == 1 {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == user && bytes.Equal(key.Marshal(), userKey.Marshal()) {
				return nil, nil
			}
			return nil, fmt.Errorf("key %s not authorized", ssh.FingerprintSHA256(key))
		},
		// The server's side of authentication, so the demo can show
		// which method the server accepted rather than infer it.
		AuthLogCallback: func(c ssh.ConnMetadata, method string, err error) {
			entry := method + " accepted"
			if err != nil {
				entry = method + " refused"
			}
			s.mu.Lock()
			s.authLog = append(s.authLog, entry)
			s.mu.Unlock()
		},
	}
	s.config.AddHostKey(hostKey)
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// addr is the address the server listens on.
func (s *server) addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// takeAuthLog returns the authentication attempts the server has seen
// since the last call, in order, as "method accepted" or "method refused".
func (s *server) takeAuthLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.authLog
	s.authLog = nil
	return l
}

// close stops listening, closes every connection, kills the commands
// still running, and waits for every goroutine of the server to end.
func (s *server) close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.cancel()
	s.wg.Wait()
	return err
}

func (s *server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(nc)
	}
}

// serveConn runs one connection: the handshake, then its channels until
// the client (or close) ends it.
func (s *server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		nc.Close()
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
	}()
	// A client that stalls the handshake is cut off; close cuts it off
	// sooner by closing nc.
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config)
	if err != nil {
		return // the demo's rejected hosts end here, by design
	}
	nc.SetDeadline(time.Time{})
	defer sc.Close()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "the demo server opens session channels only")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go s.session(ch, creqs)
	}
}

// session answers a session channel's requests: one "exec" or "sftp"
// subsystem; pty, env, shell and the rest are refused.
func (s *server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer s.wg.Done()
	// The requests end when the channel is closed on both sides; what
	// still runs then is killed (ctx) and waited for (done).
	ctx, cancel := context.WithCancel(s.ctx)
	var done sync.WaitGroup
	defer func() {
		cancel()
		done.Wait()
		ch.Close()
	}()
	started := false
	for req := range reqs {
		var arg struct{ Value string }
		ok := !started && ssh.Unmarshal(req.Payload, &arg) == nil
		switch {
		case ok && req.Type == "exec":
			done.Add(1)
			go func() { defer done.Done(); s.exec(ctx, ch, arg.Value) }()
		case ok && req.Type == "subsystem" && arg.Value == "sftp":
			done.Add(1)
			go func() { defer done.Done(); s.sftp(ch) }()
		default:
			ok = false
		}
		started = started || ok
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
}

// exec runs command with /bin/sh -c, stdout and stderr kept apart, and
// sends its exit status (or the signal that killed it) before closing.
func (s *server) exec(ctx context.Context, ch ssh.Channel, command string) {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Dir = s.dir
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	// A background child that keeps the output pipes open does not keep
	// the session open, after a grace long enough that output still on
	// its way (the copy waits for the client's window, which a loaded
	// machine may be slow to give) is not cut off.
	cmd.WaitDelay = 10 * time.Second
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "demo server: %v\n", err)
		sendExitStatus(ch, 127)
		return
	}
	// Copy the client's input until it sends EOF or the channel closes;
	// the channel closes when this session ends, so the copy ends too.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		sendExitSignal(ch, ws.Signal())
	} else {
		sendExitStatus(ch, cmd.ProcessState.ExitCode())
	}
	ch.CloseWrite()
	ch.Close()
}

func sendExitStatus(ch ssh.Channel, status int) {
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
}

// sendExitSignal sends RFC 4254's exit-signal: the signal's name without
// "SIG" ("KILL"), as OpenSSH does.
func sendExitSignal(ch ssh.Channel, sig syscall.Signal) {
	names := map[syscall.Signal]string{
		syscall.SIGABRT: "ABRT", syscall.SIGALRM: "ALRM", syscall.SIGFPE: "FPE",
		syscall.SIGHUP: "HUP", syscall.SIGILL: "ILL", syscall.SIGINT: "INT",
		syscall.SIGKILL: "KILL", syscall.SIGPIPE: "PIPE", syscall.SIGQUIT: "QUIT",
		syscall.SIGSEGV: "SEGV", syscall.SIGTERM: "TERM", syscall.SIGUSR1: "USR1",
		syscall.SIGUSR2: "USR2",
	}
	name, ok := names[sig]
	if !ok {
		sendExitStatus(ch, 128+int(sig))
		return
	}
	ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
		Signal     string
		CoreDumped bool
		Message    string
		Lang       string
	}{Signal: name}))
}

// sftp serves the SFTP subsystem with pkg/sftp's server. It is no chroot:
// it serves the paths the client names (the demo names only its own temp
// directory), resolving relative ones in s.dir.
func (s *server) sftp(ch ssh.Channel) {
	srv, err := sftp.NewServer(ch, sftp.WithServerWorkingDirectory(s.dir))
	if err != nil {
		ch.Close()
		return
	}
	srv.Serve()
	srv.Close()
	ch.Close()
}
