package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// starter starts one kind of server with Options.
type starter struct {
	name  string
	start func(testing.TB, Options) *Server
}

var starters = []starter{
	{"openssh", StartOpenSSH},
	{"dropbear", StartDropbear},
	{"paramiko", StartParamiko},
	{"asyncssh", StartAsyncSSH},
	{"xssh", func(t testing.TB, o Options) *Server {
		return StartXSSH(t, XSSHOptions{HostKeyTypes: o.HostKeyTypes, AuthorizedKeys: o.AuthorizedKeys})
	}},
}

// forEachServer runs f against each kind of server, in parallel.
func forEachServer(t *testing.T, f func(t *testing.T, st starter)) {
	for _, st := range starters {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f(t, st)
		})
	}
}

// dial logs in to s with auth (UserKey when none is given).
func dial(t testing.TB, s *Server, auth ...ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := tryDial(s, auth...)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func tryDial(s *Server, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	cfg := s.ClientConfig()
	if len(auth) > 0 {
		cfg.Auth = auth
	}
	return ssh.Dial("tcp", s.Addr, cfg)
}

// run runs cmd in a new session, with stdin as its input.
func run(t testing.TB, c *ssh.Client, cmd, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer sess.Close()
	var out, errOut bytes.Buffer
	sess.Stdin = strings.NewReader(stdin)
	sess.Stdout, sess.Stderr = &out, &errOut
	err = sess.Run(cmd)
	return out.String(), errOut.String(), err
}

// newSigner makes an ed25519 key nobody has authorized.
func newSigner(t testing.TB) ssh.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// settledGoroutines waits up to a few seconds for the goroutine count to
// fall to at most want (closing connections ends goroutines
// asynchronously) and returns the last count.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n > want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// goroutineDump is every goroutine's stack, for a leak's report.
func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
