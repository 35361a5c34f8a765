package sshtest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"log"
	"net"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// XSSHOptions configures StartXSSH.
type XSSHOptions struct {
	// HostKeyTypes is as in Options.
	HostKeyTypes []string
	// AuthorizedKeys are authorized besides UserKey.
	AuthorizedKeys []ssh.PublicKey
	// Config, if set, is called with the server's configuration after the
	// harness has filled it in (host keys; password, keyboard-interactive
	// and publickey callbacks), to set algorithms or replace callbacks. For every
	// algorithm x/crypto implements, use XSSHAllAlgorithms.
	Config func(*ssh.ServerConfig)
	// Handler, if set, serves each authenticated connection in place of
	// the default, which runs exec and shell requests of session
	// channels. It must drain both channels; the connection is closed
	// when it returns.
	Handler func(ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request)
}

// StartXSSH starts a golang.org/x/crypto/ssh server in this process for t.
// It runs commands as the user running the test.
func StartXSSH(t testing.TB, o XSSHOptions) *Server {
	t.Helper()
	types, err := hostKeyTypes(o.HostKeyTypes)
	if err != nil {
		t.Fatal(err)
	}
	requireKeygen(t, types)
	s := newServer(t, "xssh")
	keys, err := writeHostKeys(s.Dir, types)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKeys = publicKeys(keys)
	logf, err := s.openLog()
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	logger := log.New(logf, "", log.LstdFlags|log.Lmicroseconds)

	authorized := append([]ssh.PublicKey{s.UserKey.PublicKey()}, o.AuthorizedKeys...)
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			if c.User() == s.User && subtle.ConstantTimeCompare(password, []byte(s.Password)) == 1 {
				return nil, nil
			}
			return nil, errors.New("wrong user or password")
		},
		// One question, the password, as OpenSSH's PAM setup asks it.
		KeyboardInteractiveCallback: func(c ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := challenge("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if c.User() == s.User && len(answers) == 1 && subtle.ConstantTimeCompare([]byte(answers[0]), []byte(s.Password)) == 1 {
				return nil, nil
			}
			return nil, errors.New("wrong user or password")
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == s.User {
				for _, k := range authorized {
					if bytes.Equal(k.Marshal(), key.Marshal()) {
						return nil, nil
					}
				}
			}
			return nil, errors.New("key not authorized")
		},
		AuthLogCallback: func(c ssh.ConnMetadata, method string, err error) {
			logger.Printf("auth %s for %q from %s: %v", method, c.User(), c.RemoteAddr(), err)
		},
	}
	for _, k := range keys {
		cfg.AddHostKey(k.signer)
	}
	if o.Config != nil {
		o.Config(cfg)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		logf.Close()
		t.Fatalf("sshtest: %v", err)
	}
	s.Addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	x := &xsshServer{
		ln:      ln,
		config:  cfg,
		handler: o.Handler,
		log:     logger,
		ctx:     ctx,
		conns:   map[net.Conn]bool{},
	}
	if x.handler == nil {
		x.handler = x.serveSessions
	}
	if cgroupsWork() {
		x.cg, _ = newCgroup() // commands start there, so stop finds them all
	}
	x.wg.Add(1)
	go x.acceptLoop()
	t.Cleanup(func() {
		cancel()
		x.stop()
		logf.Close()
	})
	return s
}

// XSSHAllAlgorithms enables, as an XSSHOptions.Config, every key
// exchange, cipher and MAC x/crypto implements, insecure ones included:
// the counterpart of Options.AllAlgorithms. Host key algorithms follow the
// host keys, and x/crypto implements no compression.
func XSSHAllAlgorithms(c *ssh.ServerConfig) {
	supported, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	c.KeyExchanges = append(supported.KeyExchanges, insecure.KeyExchanges...)
	c.Ciphers = append(supported.Ciphers, insecure.Ciphers...)
	c.MACs = append(supported.MACs, insecure.MACs...)
	c.PublicKeyAuthAlgorithms = append(supported.PublicKeyAuths, insecure.PublicKeyAuths...)
}

// xsshServer is the accept loop and connection set of one StartXSSH
// server. Every goroutine it starts is counted in wg, so that stop
// returns only when none is left.
type xsshServer struct {
	ln      net.Listener
	config  *ssh.ServerConfig
	handler func(ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request)
	log     *log.Logger
	ctx     context.Context // cancelled at cleanup: kills running commands
	cg      *cgroup         // holds the commands; nil without cgroups

	mu      sync.Mutex
	conns   map[net.Conn]bool
	stopped bool
	wg      sync.WaitGroup
}

func (x *xsshServer) acceptLoop() {
	defer x.wg.Done()
	for {
		c, err := x.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				x.log.Printf("accept: %v", err)
			}
			return
		}
		x.mu.Lock()
		if x.stopped {
			x.mu.Unlock()
			c.Close()
			return
		}
		x.conns[c] = true
		x.wg.Add(1)
		x.mu.Unlock()
		go x.serveConn(c)
	}
}

func (x *xsshServer) serveConn(c net.Conn) {
	defer x.wg.Done()
	defer func() {
		c.Close()
		x.mu.Lock()
		delete(x.conns, c)
		x.mu.Unlock()
	}()
	x.log.Printf("connection from %s", c.RemoteAddr())
	conn, chans, reqs, err := ssh.NewServerConn(c, x.config)
	if err != nil {
		x.log.Printf("handshake with %s: %v", c.RemoteAddr(), err)
		return
	}
	x.log.Printf("%q logged in from %s with %s", conn.User(), c.RemoteAddr(), conn.ClientVersion())
	x.handler(conn, chans, reqs)
	conn.Close()
	conn.Wait()
}

// stop closes the listener and every connection, and waits for all the
// server's goroutines.
func (x *xsshServer) stop() {
	x.ln.Close()
	x.mu.Lock()
	x.stopped = true
	for c := range x.conns {
		c.Close()
	}
	x.mu.Unlock()
	if x.cg != nil {
		// Cancelling killed each command's process group; this kills
		// what left it.
		x.cg.kill()
	}
	x.wg.Wait()
	if x.cg != nil {
		x.cg.remove()
	}
}
