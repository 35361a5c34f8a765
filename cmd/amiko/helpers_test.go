package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// testEnv is one test's surroundings: HOME in a temporary directory (never
// the real ~/.ssh), no agent, a key file the servers authorize, and a
// known_hosts file.
type testEnv struct {
	t          *testing.T
	home       string
	keyFile    string
	key        ssh.Signer
	knownHosts string
	env        map[string]string // seen by the runner before os.Getenv
	ask        prompter
	listening  func(spec string, addr net.Addr)
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("AMIKO_PASSWORD", "")
	t.Setenv("AMIKO_PASSPHRASE", "")
	e := &testEnv{t: t, home: home, env: map[string]string{}}
	e.keyFile = filepath.Join(home, "id_test")
	e.key = writeNewKey(t, e.keyFile)
	e.knownHosts = filepath.Join(home, "known_hosts")
	return e
}

// writeNewKey writes a fresh ed25519 private key to path.
func writeNewKey(t *testing.T, path string) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// server starts sshd authorizing the environment's key.
func (e *testEnv) server(o sshtest.Options) *sshtest.Server {
	e.t.Helper()
	o.AuthorizedKeys = append(o.AuthorizedKeys, e.key.PublicKey())
	return sshtest.StartOpenSSH(e.t, o)
}

// trust writes s's host keys into the known_hosts file.
func (e *testEnv) trust(servers ...*sshtest.Server) {
	e.t.Helper()
	var b bytes.Buffer
	for _, s := range servers {
		b.Write(s.KnownHosts())
	}
	if err := os.WriteFile(e.knownHosts, b.Bytes(), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// args are the options that point amiko ssh at s with the test's key and
// files, followed by extra and the command.
func (e *testEnv) args(s *sshtest.Server, extra ...string) []string {
	_, port, _ := net.SplitHostPort(s.Addr)
	a := []string{
		"-p", port, "-l", s.User, "-i", e.keyFile,
		"-o", "UserKnownHostsFile=" + e.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes",
	}
	return append(a, extra...)
}

type result struct {
	code           int
	stdout, stderr string
}

// lines returns the non-empty lines of stderr.
func (r result) stderrLines() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// run runs `amiko ssh args` in-process with stdin.
func (e *testEnv) run(stdin string, args ...string) result {
	e.t.Helper()
	return e.runContext(e.t.Context(), stdin, args...)
}

func (e *testEnv) runContext(ctx context.Context, stdin string, args ...string) result {
	e.t.Helper()
	var stdout, stderr syncBuffer
	r := &runner{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string {
			if v, ok := e.env[k]; ok {
				return v
			}
			return os.Getenv(k)
		},
		ask:       e.ask,
		listening: e.listening,
	}
	// A hang guard only: every run here ends in seconds.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	code := r.run(ctx, append([]string{"ssh"}, args...))
	res := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	e.t.Logf("amiko ssh %s\n=> %d\nstdout: %q\nstderr: %q", strings.Join(args, " "), code, res.stdout, res.stderr)
	return res
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of the
// copying goroutines and a test reading it meanwhile.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakePrompter answers prompts from a script and records them.
type fakePrompter struct {
	mu      sync.Mutex
	answers []string
	prompts []string
}

func (f *fakePrompter) next(prompt string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prompts = append(f.prompts, prompt)
	if len(f.answers) == 0 {
		return "", errInterrupted
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func (f *fakePrompter) ReadSecret(p string) (string, error) { return f.next(p) }
func (f *fakePrompter) ReadLine(p string) (string, error)   { return f.next(p) }

func (f *fakePrompter) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.prompts...)
}

// checkNoLeak: see leaktest.Check.
func checkNoLeak(t *testing.T) { leaktest.Check(t) }
