//go:build cgo && amiko_gssapi

package system

import (
	"bufio"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// acceptorScript is MIT's GSS-API acceptor on python3-gssapi that the
// pure-Go mechanism's tests use; its commands are described in it.
const acceptorScript = "../krb5/testdata/acceptor.py"

// acceptorTimeout is a hang guard on each answer of the acceptor.
const acceptorTimeout = 60 * time.Second

// realm starts a KDC and gives the test a ticket in a FILE cache
// (forwardable or not), pointing the library at both through the
// environment, which is what it reads.
func realm(t *testing.T, forwardable bool) *sshtest.KDC {
	t.Helper()
	k := sshtest.StartKDC(t)
	useRealm(t, k, k.Kinit(t, forwardable))
	return k
}

// useRealm sets KRB5_CONFIG to k's and KRB5CCNAME to ccache for t.
func useRealm(t *testing.T, k *sshtest.KDC, ccache string) {
	t.Setenv("KRB5_CONFIG", k.Config)
	t.Setenv("KRB5CCNAME", ccache)
}

func newMech(t *testing.T) gssapi.Mechanism {
	t.Helper()
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mitAcceptor drives the acceptor script: one context.
type mitAcceptor struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startMITAcceptor(t *testing.T, k *sshtest.KDC) *mitAcceptor {
	t.Helper()
	sshtest.Require(t, "python3-gssapi")
	cmd := exec.Command("/usr/bin/python3", acceptorScript)
	cmd.Env = append(os.Environ(), k.AcceptorEnv()...)
	a := &mitAcceptor{t: t, cmd: cmd, stderr: &lockedBuffer{}, lines: make(chan string)}
	cmd.Stderr = a.stderr
	var err error
	if a.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// One reader for the process's life, ending at its EOF.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(a.lines)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			a.lines <- line
		}
	}()
	t.Cleanup(func() {
		a.stdin.Close()
		done := make(chan error, 1)
		go func() {
			for range a.lines { // unblock the reader
			}
			<-readerDone
			done <- cmd.Wait()
		}()
		select {
		case <-done:
		case <-time.After(acceptorTimeout):
			cmd.Process.Kill()
			<-done
		}
	})
	return a
}

// do sends a command and returns the answer's words.
func (a *mitAcceptor) do(words ...string) []string {
	a.t.Helper()
	if _, err := io.WriteString(a.stdin, strings.Join(words, " ")+"\n"); err != nil {
		a.t.Fatalf("acceptor: %v\n%s", err, a.stderr)
	}
	select {
	case line, ok := <-a.lines:
		if !ok {
			a.t.Fatalf("acceptor exited\n%s", a.stderr)
		}
		return strings.Fields(line)
	case <-time.After(acceptorTimeout):
		a.t.Fatalf("acceptor: no answer to %s in %v\n%s", words[0], acceptorTimeout, a.stderr)
		return nil
	}
}

func hx(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

func unhx(t *testing.T, s string) []byte {
	t.Helper()
	if s == "-" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// errorText is the acceptor's error answer, readable.
func errorText(t *testing.T, ans []string) string {
	if len(ans) == 2 && ans[0] == "error" {
		return string(unhx(t, ans[1]))
	}
	return strings.Join(ans, " ")
}

// accept establishes ctx with the acceptor and returns the acceptor's
// last token.
func accept(t *testing.T, ctx gssapi.Context, a *mitAcceptor) []byte {
	t.Helper()
	out, done, err := ctx.Step(nil)
	if err != nil || done {
		t.Fatalf("Step(nil): done %v, %v", done, err)
	}
	ans := a.do("accept", hx(out))
	if len(ans) != 3 || ans[0] != "token" || ans[2] != "complete" {
		t.Fatalf("MIT refused the first token: %s", errorText(t, ans))
	}
	rep := unhx(t, ans[1])
	out, done, err = ctx.Step(rep)
	if err != nil || !done || out != nil {
		t.Fatalf("MIT's reply: out %x, done %v, %v", out, done, err)
	}
	return rep
}

// statusOf is err's *StatusError, failing t when there is none.
func statusOf(t *testing.T, err error) *StatusError {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, not a *StatusError", err)
	}
	return se
}
