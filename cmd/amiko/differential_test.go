package main

// Differential tests: amiko ssh and OpenSSH's ssh run with the same
// arguments against the same sshd, for everyday non-interactive use,
// and must agree on the exit status, stdout and, where both say the
// same thing, stderr.
//
// Known differences, not compared: ssh ends its own messages with
// "\r\n", amiko with "\n"; amiko words its failures in one line of its
// own (doc.go: host keys, authentication, subsystems, usage); amiko
// refuses the flags it does not implement (-E, -f, -G, -V, -y, -4, -6).

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// stderrCheck says how much of the two stderrs must agree.
type stderrCheck int

const (
	// stderrSame: byte for byte (text from the remote command, or
	// messages amiko words as ssh does).
	stderrSame stderrCheck = iota
	// stderrFirstLine: the first line, without the "ssh: " or
	// "amiko ssh: " in front of it.
	stderrFirstLine
	// stderrStartsAlike: amiko's one line starts as ssh's last one
	// (its conclusion, after any explanation), up to ssh's full stop,
	// and goes on in amiko's words (see doc.go).
	stderrStartsAlike
	// stderrOwnWords: both say something, each in its own words.
	stderrOwnWords
)

type diffCase struct {
	name  string
	stdin string
	// args follow the common options (port, user, key, known hosts,
	// BatchMode, -F /dev/null): more options, the destination and the
	// command.
	args   []string
	stderr stderrCheck
	// before, if set, runs before each of the two clients, so that
	// both start from the same files.
	before func()
	// port and identity, if set, replace the server's port and the
	// test's key.
	port, identity string
}

// openssh runs OpenSSH's ssh with args and stdin, HOME in the test's
// directory and no agent (newTestEnv set both in the environment).
func (e *testEnv) openssh(stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 2*time.Minute) // a hang guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() < 0 {
			e.t.Fatalf("ssh %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	res := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	e.t.Logf("ssh %s\n=> %d\nstdout: %s\nstderr: %q", strings.Join(args, " "), code, abbrev(res.stdout), res.stderr)
	return res
}

// abbrev quotes s, shortened when long.
func abbrev(s string) string {
	if len(s) > 200 {
		return strconv.Quote(s[:100]) + "..." + strconv.Quote(s[len(s)-100:]) + " (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

// compareWithOpenSSH runs c with both clients against s and reports
// where they differ.
func (e *testEnv) compareWithOpenSSH(s *sshtest.Server, c diffCase) {
	e.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	if c.port != "" {
		port = c.port
	}
	identity := e.keyFile
	if c.identity != "" {
		identity = c.identity
	}
	args := append([]string{
		"-F", "/dev/null",
		"-p", port, "-l", s.User, "-i", identity,
		"-o", "UserKnownHostsFile=" + e.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes",
	}, c.args...)
	if c.before != nil {
		c.before()
	}
	o := e.openssh(c.stdin, args...)
	if c.before != nil {
		c.before()
	}
	a := e.run(c.stdin, args...)
	if a.code != o.code {
		e.t.Errorf("exit status: amiko %d, ssh %d", a.code, o.code)
	}
	if a.stdout != o.stdout {
		e.t.Errorf("stdout differs: amiko %s, ssh %s", abbrev(a.stdout), abbrev(o.stdout))
	}
	switch c.stderr {
	case stderrSame:
		if lineEnds(a.stderr) != lineEnds(o.stderr) {
			e.t.Errorf("stderr differs: amiko %s, ssh %s", abbrev(a.stderr), abbrev(o.stderr))
		}
	case stderrFirstLine:
		if al, ol := firstLine(a.stderr, "amiko ssh: "), firstLine(o.stderr, "ssh: "); al != ol {
			e.t.Errorf("first line of stderr differs: amiko %q, ssh %q", al, ol)
		}
	case stderrStartsAlike:
		ol := strings.Split(strings.TrimRight(lineEnds(o.stderr), "\n"), "\n")
		al := firstLine(a.stderr, "amiko ssh: ")
		last := strings.TrimPrefix(ol[len(ol)-1], "ssh: ")
		if last == "" || !strings.HasPrefix(al, strings.TrimSuffix(last, ".")) || len(a.stderrLines()) != 1 {
			e.t.Errorf("stderr: amiko %q does not start as ssh's last line %q", a.stderr, last)
		}
	case stderrOwnWords:
		if a.stderr == "" || o.stderr == "" {
			e.t.Errorf("stderr: amiko %q, ssh %q; want both to say something", a.stderr, o.stderr)
		}
	}
}

// lineEnds makes ssh's "\r\n" after its own messages "\n", as amiko
// ends them.
func lineEnds(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func firstLine(s, prefix string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimPrefix(strings.TrimSuffix(l, "\r"), prefix)
}

func TestDifferentialSession(t *testing.T) {
	sshtest.Require(t, "openssh")
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no OpenSSH client (ssh) installed")
	}
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	const mib = "1048576"
	cases := []diffCase{
		{name: "exit 0", args: []string{"127.0.0.1", "exit", "0"}},
		{name: "exit 3", args: []string{"127.0.0.1", "exit 3"}},
		{name: "exit 255", args: []string{"127.0.0.1", "exit", "255"}},
		{name: "exit 256", args: []string{"127.0.0.1", "exit", "256"}},
		{name: "killed by SIGTERM", args: []string{"127.0.0.1", "kill -TERM $$"}},
		{name: "killed by SIGKILL", args: []string{"127.0.0.1", "kill", "-KILL", "$$"}},
		{name: "killed by SIGHUP", args: []string{"127.0.0.1", "kill -HUP $$"}},
		{name: "killed by SIGSEGV", args: []string{"127.0.0.1", "kill -SEGV $$"}},
		{name: "stdout and stderr apart", args: []string{"127.0.0.1", "echo out; echo err >&2; exit 2"}},
		{name: "command not found", args: []string{"127.0.0.1", "no-such-command-here"}},
		{name: "stdin to cat", stdin: "line one\nline two\n", args: []string{"127.0.0.1", "cat"}},
		{name: "stdin without newline", stdin: "no newline", args: []string{"127.0.0.1", "cat; echo; echo done"}},
		{name: "-n gives EOF", stdin: "ignored\n", args: []string{"-n", "127.0.0.1", "cat; echo end"}},
		{name: "stdin not read", stdin: strings.Repeat("x", 1<<20), args: []string{"127.0.0.1", "exit", "7"}},
		{name: "stdin read in part", stdin: strings.Repeat("y", 1<<20), args: []string{"127.0.0.1", "head", "-c", "10"}},
		{name: "words joined", args: []string{"127.0.0.1", "echo", "a", "b", "  c"}},
		{name: "quoted spaces", args: []string{"127.0.0.1", "echo", `"a  b"`}},
		{name: "sh -c with $0", args: []string{"127.0.0.1", "sh", "-c", "'echo $0'", "x"}},
		{name: "option after destination", args: []string{"127.0.0.1", "-n", "echo", "ok"}},
		{name: "double dash", args: []string{"127.0.0.1", "--", "echo", "-n", "x"}},
		{name: "-l wins over user@", args: []string{"root@127.0.0.1", "id", "-un"}},
		{name: "ssh:// destination", args: []string{"ssh://127.0.0.1", "id", "-un"}},
		{name: "unknown subsystem", stderr: stderrOwnWords, args: []string{"-s", "127.0.0.1", "no-such-subsystem"}},
		{name: "no destination", stderr: stderrOwnWords, args: []string{"-n"}},
		{name: "empty command runs the shell", stdin: "echo from-shell\nexit 4\n", args: []string{"127.0.0.1", ""}},
		{name: "two empty words", args: []string{"127.0.0.1", "", ""}},
		{name: "-T without command", stdin: "echo $0 >/dev/null; echo shell-ran\n", args: []string{"-T", "127.0.0.1"}},
		{name: "no command, stdin not a terminal", stdin: "echo shell-ran\n", args: []string{"127.0.0.1"}},
		{name: "-t, stdin not a terminal", args: []string{"-t", "127.0.0.1", "echo", "hi"}},
		{name: "-tt, forced pty", args: []string{"-tt", "127.0.0.1", "echo", "hi"}},
		{name: "-tt -q", args: []string{"-tt", "-q", "127.0.0.1", "echo", "hi"}},
		{name: "-tt, LogLevel=QUIET", args: []string{"-o", "LogLevel=QUIET", "-tt", "127.0.0.1", "echo", "hi"}},
		{name: "-t -q, stdin not a terminal", args: []string{"-t", "-q", "127.0.0.1", "echo", "hi"}},
		{name: "LogLevel=ERROR", args: []string{"-o", "LogLevel=ERROR", "127.0.0.1", "echo", "hi"}},
		{name: "1 MiB to each stream", args: []string{"127.0.0.1",
			"yes out | head -c " + mib + "; yes err | head -c " + mib + " >&2"}},
		{name: "1 MiB to both streams at once", args: []string{"127.0.0.1",
			"yes err | head -c " + mib + " >&2 & yes out | head -c " + mib + "; wait"}},
		{name: "exit after closing stdout", args: []string{"127.0.0.1", "echo before; exec >&-; echo to-err >&2; exit 5"}},
		{name: "exit after closing both", args: []string{"127.0.0.1", "exec >&- 2>&-; exit 6"}},
		{name: "exit after closing stdin", stdin: "unread\n", args: []string{"127.0.0.1", "exec <&-; echo x; exit 8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := *e
			e.t = t
			e.compareWithOpenSSH(s, c)
		})
	}
}

func TestDifferentialFailures(t *testing.T) {
	sshtest.Require(t, "openssh")
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no OpenSSH client (ssh) installed")
	}
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	emptyKnownHosts := func() {
		if err := os.WriteFile(e.knownHosts, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	trusted := func() { e.trust(s) }
	otherKey := filepath.Join(e.home, "id_other")
	writeNewKey(t, otherKey)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	cases := []diffCase{
		{name: "unknown host, BatchMode", before: emptyKnownHosts, stderr: stderrStartsAlike,
			args: []string{"127.0.0.1", "echo", "hi"}},
		{name: "unknown host, StrictHostKeyChecking=yes", before: emptyKnownHosts, stderr: stderrStartsAlike,
			args: []string{"-o", "StrictHostKeyChecking=yes", "127.0.0.1", "echo", "hi"}},
		{name: "unknown host, StrictHostKeyChecking=accept-new", before: emptyKnownHosts,
			args: []string{"-o", "StrictHostKeyChecking=accept-new", "127.0.0.1", "echo", "hi"}},
		{name: "unknown host, StrictHostKeyChecking=no", before: emptyKnownHosts,
			args: []string{"-o", "StrictHostKeyChecking=no", "127.0.0.1", "echo", "hi"}},
		{name: "unknown host, accept-new, -q", before: emptyKnownHosts,
			args: []string{"-q", "-o", "StrictHostKeyChecking=accept-new", "127.0.0.1", "echo", "hi"}},
		{name: "unknown host, accept-new, LogLevel=ERROR", before: emptyKnownHosts,
			args: []string{"-o", "LogLevel=ERROR", "-o", "StrictHostKeyChecking=accept-new", "127.0.0.1", "echo", "hi"}},
		{name: "unknown host, -q", before: emptyKnownHosts, stderr: stderrFirstLine,
			args: []string{"-q", "127.0.0.1", "echo", "hi"}},
		{name: "wrong key", before: trusted, stderr: stderrStartsAlike,
			identity: otherKey, args: []string{"127.0.0.1", "echo", "hi"}},
		{name: "wrong key, -q", before: trusted, stderr: stderrFirstLine,
			args: []string{"-q", "-o", "PubkeyAuthentication=no", "127.0.0.1", "echo", "hi"}},
		{name: "connection refused", stderr: stderrFirstLine, port: closedPort,
			args: []string{"127.0.0.1", "echo", "hi"}},
		{name: "connection refused, -q", stderr: stderrSame, port: closedPort,
			args: []string{"-q", "127.0.0.1", "echo", "hi"}},
		{name: "connection refused, LogLevel=ERROR", stderr: stderrFirstLine, port: closedPort,
			args: []string{"-o", "LogLevel=ERROR", "127.0.0.1", "echo", "hi"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := *e
			e.t = t
			e.compareWithOpenSSH(s, c)
		})
	}
}
