package amiko

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestAuthTimeout: a server that does not answer an authentication
// request within AuthTimeout ends Connect with a *TimeoutError for the
// authentication phase, an SSH error and a net.Error timeout.
func TestAuthTimeout(t *testing.T) {
	isolate(t)
	release := make(chan struct{})
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(c *ssh.ServerConfig) {
		c.PasswordCallback = func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			<-release
			return nil, errors.New("no")
		}
	}})
	t.Cleanup(func() { close(release) }) // before the server's own cleanup
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: "x", AuthTimeout: 300 * time.Millisecond})
	var te *TimeoutError
	var ne net.Error
	if !errors.As(err, &te) || te.Phase != "authentication" || te.After != 300*time.Millisecond ||
		!errors.Is(err, ErrSSH) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v (%T), want an authentication *TimeoutError after 300ms", err, err)
	}
}

// TestAuthTimeoutCountsOnlyTheServer: the time a person takes to type a
// password does not count against AuthTimeout (before, the 30 s default
// bounded the whole authentication, prompts included: amiko ssh gave its
// user 30 s to type).
func TestAuthTimeoutCountsOnlyTheServer(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{
		Port: port(t, s.Addr), Username: s.User, AuthTimeout: 2 * time.Second,
		PasswordCallback: func() (string, error) {
			time.Sleep(2500 * time.Millisecond) // a person typing
			return s.Password, nil
		},
	})
	if err != nil {
		t.Fatalf("a 2.5 s password prompt with AuthTimeout 2 s: %v", err)
	}
	c.Close()
}

// TestPasswordMeetsSeveralPrompts: keyboard-interactive asking two
// questions at once is not a password prompt. With the caller's
// keyboard-interactive answers, those take over the exchange the password
// began; without them authentication fails with an *AuthenticationError
// that says why (before: a plain SSH error, the caller's answers never
// asked).
func TestPasswordMeetsSeveralPrompts(t *testing.T) {
	isolate(t)
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(c *ssh.ServerConfig) {
		c.PasswordCallback = nil
		c.PublicKeyCallback = nil
		c.KeyboardInteractiveCallback = func(_ ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := ask("", "two factors", []string{"Password: ", "OTP: "}, []bool{false, false})
			if err != nil {
				return nil, err
			}
			if len(answers) == 2 && answers[0] == "secret" && answers[1] == "123456" {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("wrong")
		}
	}})
	opts := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: "secret"}
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", opts)
	var ae *AuthenticationError
	if !errors.As(err, &ae) || !strings.Contains(ae.Error(), "questions") {
		t.Fatalf("password alone against two prompts: got %v, want an *AuthenticationError naming the questions", err)
	}

	var asked [][]string
	opts.KeyboardInteractive = func(name, instruction string, prompts []Prompt) ([]string, error) {
		var texts []string
		for _, p := range prompts {
			texts = append(texts, p.Text)
		}
		asked = append(asked, texts)
		return []string{"secret", "123456"}, nil
	}
	if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil {
		t.Fatalf("with keyboard-interactive answers: %v", err)
	}
	c.Close()
	if len(asked) != 1 || len(asked[0]) != 2 {
		t.Fatalf("the caller was asked %v, want the two prompts once", asked)
	}
}

// TestEmptyPassword: EmptyPassword sends the empty password (paramiko's
// password=""), after a key the server refuses; without it an empty
// Password means none, and nothing is sent.
func TestEmptyPassword(t *testing.T) {
	isolate(t)
	var mu sync.Mutex
	var got []string
	sent := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(c *ssh.ServerConfig) {
		c.PasswordCallback = func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, string(pw))
			if len(pw) == 0 {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("no")
		}
	}})
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(other)
	opts := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: signer}
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", opts); !errors.As(err, new(*AuthenticationError)) || len(sent()) != 0 {
		t.Fatalf("without EmptyPassword: %v, passwords sent %q", err, sent())
	}
	opts.EmptyPassword = true
	if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil || !slices.Equal(sent(), []string{""}) {
		t.Fatalf("with EmptyPassword: %v, passwords sent %q", err, sent())
	}
	c.Close()
}

// TestUnansweringAgent: an agent that takes the connection and never
// answers holds Connect no longer than its context (before, for ever).
func TestUnansweringAgent(t *testing.T) {
	isolate(t)
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{})
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // read nothing, answer nothing
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Connect(ctx, "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User}) }()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the context's deadline", err)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("Connect still waiting on the agent after its context's deadline")
	}
}
