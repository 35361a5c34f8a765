package gsstest

import (
	"bufio"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// MITAcceptor drives mit_acceptor.py: a real MIT GSS-API acceptor, on
// python3-gssapi with a realm's keytab, holding one context. Its
// commands ("accept", "info", "verify", "sign", ...) are described in
// the script. What MIT accepts from an initiator, and what the initiator
// accepts from MIT, is the proof that a mechanism interoperates.
type MITAcceptor struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *lockedBuffer
}

// acceptorTimeout is a hang guard on each answer of the acceptor.
const acceptorTimeout = 60 * time.Second

// StartMITAcceptor starts the acceptor for k's realm; it ends with t.
func StartMITAcceptor(t testing.TB, k *sshtest.KDC) *MITAcceptor {
	t.Helper()
	sshtest.Require(t, "python3-gssapi")
	_, here, _, _ := runtime.Caller(0)
	cmd := exec.Command("/usr/bin/python3", filepath.Join(filepath.Dir(here), "mit_acceptor.py"))
	cmd.Env = append(os.Environ(), k.AcceptorEnv()...)
	a := &MITAcceptor{t: t, cmd: cmd, stderr: &lockedBuffer{}, lines: make(chan string)}
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

// Do sends a command and returns the answer's words.
func (a *MITAcceptor) Do(words ...string) []string {
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

// Accept establishes ctx with the acceptor and returns the acceptor's
// last token (Kerberos: the AP-REP).
func (a *MITAcceptor) Accept(ctx gssapi.Context) []byte {
	a.t.Helper()
	out, done, err := ctx.Step(nil)
	if err != nil || done {
		a.t.Fatalf("Step(nil): done %v, %v", done, err)
	}
	ans := a.Do("accept", Hex(out))
	if len(ans) != 3 || ans[0] != "token" || ans[2] != "complete" {
		a.t.Fatalf("MIT refused the first token: %s", ErrorText(a.t, ans))
	}
	rep := Unhex(a.t, ans[1])
	out, done, err = ctx.Step(rep)
	if err != nil || !done || out != nil {
		a.t.Fatalf("MIT's reply: out %x, done %v, %v", out, done, err)
	}
	return rep
}

// Hex encodes b as the acceptor's commands take it ("-" for none).
func Hex(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

// Unhex decodes an answer's word.
func Unhex(t testing.TB, s string) []byte {
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

// ErrorText is the acceptor's error answer, readable.
func ErrorText(t testing.TB, ans []string) string {
	if len(ans) == 2 && ans[0] == "error" {
		return string(Unhex(t, ans[1]))
	}
	return strings.Join(ans, " ")
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

// CheckContext checks MIT's view of the established context: the
// initiator is principal, the flags MIT saw are wantFlags ("deleg," is
// put in front when delegate), and credentials arrived iff delegate; and
// that ctx agrees about delegation.
func (a *MITAcceptor) CheckContext(ctx gssapi.Context, principal, wantFlags string, delegate bool) {
	a.t.Helper()
	if delegate {
		wantFlags = "deleg," + wantFlags
	}
	ans := a.Do("info")
	if len(ans) != 4 || ans[1] != principal || ans[2] != wantFlags || ans[3] != map[bool]string{false: "no", true: "yes"}[delegate] {
		a.t.Errorf("MIT's view of the context: %v, want initiator %s, flags %s, delegated %v", ans, principal, wantFlags, delegate)
	}
	if ctx.Delegated() != delegate {
		a.t.Errorf("Delegated() = %v", ctx.Delegated())
	}
}

// CheckInitiatorMICs has MIT verify two of ctx's MICs in sequence, and
// refuse a tampered one.
func (a *MITAcceptor) CheckInitiatorMICs(ctx gssapi.Context) {
	a.t.Helper()
	for i, msg := range []string{"session id|user|ssh-connection|gssapi-with-mic", "second"} {
		mic, err := ctx.GetMIC([]byte(msg))
		if err != nil {
			a.t.Fatal(err)
		}
		if i == 1 {
			bad := append([]byte(nil), mic...)
			bad[len(bad)-1] ^= 0x80
			if ans := a.Do("verify", Hex([]byte(msg)), Hex(bad)); ans[0] != "error" {
				a.t.Errorf("MIT verified a tampered MIC: %v", ans)
			}
		}
		if ans := a.Do("verify", Hex([]byte(msg)), Hex(mic)); ans[0] != "ok" {
			a.t.Fatalf("MIT refused MIC %d: %s", i, ErrorText(a.t, ans))
		}
	}
}
