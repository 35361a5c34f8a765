package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

func TestExitStatusPassedThrough(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	for _, status := range []int{0, 1, 42, 255} {
		r := e.run("", e.args(s, "127.0.0.1", "exit", fmt.Sprint(status))...)
		if r.code != status {
			t.Errorf("exit %d: amiko ssh exited %d (stderr %q)", status, r.code, r.stderr)
		}
		if r.stderr != "" {
			t.Errorf("exit %d: unexpected stderr %q", status, r.stderr)
		}
	}
	// A remote killed by a signal has no status: ssh exits 255.
	if r := e.run("", e.args(s, "127.0.0.1", "kill -TERM $$")...); r.code != 255 {
		t.Errorf("killed by a signal: amiko ssh exited %d, want 255", r.code)
	}
}

func TestStreamsKeptApart(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	// The words are joined with spaces for the remote shell, as ssh does.
	r := e.run("", e.args(s, "127.0.0.1", "echo", "to-out;", "echo", "to-err", ">&2;", "exit", "3")...)
	if r.code != 3 || r.stdout != "to-out\n" || r.stderr != "to-err\n" {
		t.Errorf("got %d, stdout %q, stderr %q; want 3, \"to-out\\n\", \"to-err\\n\"", r.code, r.stdout, r.stderr)
	}
}

func TestStdinStreamed(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	// Larger than every window, so flow control has to work both ways.
	in := strings.Repeat("amiko streams stdin\n", 400_000) // 8 MB
	sum := sha256.Sum256([]byte(in))
	r := e.run(in, e.args(s, "127.0.0.1", "sha256sum")...)
	if want := hex.EncodeToString(sum[:]) + "  -\n"; r.code != 0 || r.stdout != want {
		t.Errorf("sha256sum of stdin: got %d %q, want 0 %q", r.code, r.stdout, want)
	}
	r = e.run("line one\nline two\n", e.args(s, "127.0.0.1", "cat")...)
	if r.code != 0 || r.stdout != "line one\nline two\n" {
		t.Errorf("cat: got %d %q", r.code, r.stdout)
	}
	// -n: stdin is not read.
	r = e.run("ignored\n", e.args(s, "-n", "127.0.0.1", "cat")...)
	if r.code != 0 || r.stdout != "" {
		t.Errorf("-n cat: got %d %q, want 0 and nothing", r.code, r.stdout)
	}
}

func TestShellWithoutTerminal(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	// No command and stdin not a terminal: the login shell reads stdin,
	// without a pty, as ssh does.
	r := e.run("echo from-shell\nexit 7\n", e.args(s, "127.0.0.1")...)
	if r.code != 7 || r.stdout != "from-shell\n" {
		t.Errorf("shell: got %d %q, want 7 \"from-shell\\n\"", r.code, r.stdout)
	}
}

func TestForcedPTY(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	// -tt asks for a pty although stdin is not a terminal: the remote
	// sees one, of the library's default size.
	r := e.run("", e.args(s, "-tt", "127.0.0.1", "test -t 0 && stty size")...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "24 80" {
		t.Errorf("-tt stty size: got %d %q, want 0 \"24 80\"", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "Connection to 127.0.0.1 closed.") {
		t.Errorf("-tt: stderr %q lacks ssh's closing message", r.stderr)
	}
	// -t alone with stdin not a terminal: no pty; -T: none either.
	for _, flag := range []string{"-t", "-T"} {
		r := e.run("", e.args(s, flag, "127.0.0.1", "test -t 0")...)
		if r.code != 1 {
			t.Errorf("%s: remote stdin is a terminal (exit %d)", flag, r.code)
		}
	}
}

func TestSubsystem(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{Config: []string{"Subsystem catsub /bin/cat"}})
	e.trust(s)
	checkNoLeak(t)
	// -s: the "command" names a subsystem, which the shell does not
	// know: only sshd's Subsystem line makes "catsub" work.
	r := e.run("through the subsystem\n", e.args(s, "-s", "127.0.0.1", "catsub")...)
	if r.code != 0 || r.stdout != "through the subsystem\n" {
		t.Errorf("-s catsub: got %d %q", r.code, r.stdout)
	}
	r = e.run("", e.args(s, "-s", "127.0.0.1", "nosuch")...)
	wantOneFailureLine(t, r, "subsystem")
}

// wantOneFailureLine checks ssh's contract for its own failures: exit 255
// and exactly one line on stderr, containing want.
func wantOneFailureLine(t *testing.T, r result, want string) {
	t.Helper()
	lines := r.stderrLines()
	if r.code != 255 || len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("got exit %d and stderr %q; want 255 and one line containing %q", r.code, r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

func TestConnectionRefused(t *testing.T) {
	e := newTestEnv(t)
	checkNoLeak(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	r := e.run("", "-p", port, "-o", "BatchMode=yes", "-o", "UserKnownHostsFile="+e.knownHosts, "127.0.0.1", "true")
	wantOneFailureLine(t, r, "connect to host 127.0.0.1 port "+port+": Connection refused")
}

func TestUnknownHostKeyRefused(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	checkNoLeak(t)
	for _, mode := range []string{"yes", "ask"} {
		// "ask" cannot ask here (BatchMode): it refuses too.
		r := e.run("", e.args(s, "-o", "StrictHostKeyChecking="+mode, "127.0.0.1", "true")...)
		wantOneFailureLine(t, r, "Host key verification failed")
		if _, err := os.Stat(e.knownHosts); err == nil {
			t.Errorf("StrictHostKeyChecking=%s wrote %s", mode, e.knownHosts)
		}
	}
}

// otherHostKeys returns known_hosts lines that give s's name keys it
// does not have.
func otherHostKeys(t *testing.T, s *sshtest.Server) []byte {
	t.Helper()
	var b bytes.Buffer
	for range s.HostKeys {
		other := writeNewKey(t, t.TempDir()+"/k")
		fmt.Fprintf(&b, "[127.0.0.1]:%s %s", portOf(mustAddr(t, s.Addr)), ssh.MarshalAuthorizedKey(other.PublicKey()))
	}
	return b.Bytes()
}

func mustAddr(t *testing.T, a string) net.Addr {
	addr, err := net.ResolveTCPAddr("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestChangedHostKeyRefused(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	checkNoLeak(t)
	if err := os.WriteFile(e.knownHosts, otherHostKeys(t, s), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"yes", "accept-new", "ask"} {
		r := e.run("", e.args(s, "-o", "StrictHostKeyChecking="+mode, "127.0.0.1", "true")...)
		wantOneFailureLine(t, r, "REMOTE HOST IDENTIFICATION HAS CHANGED")
	}
}

func TestAuthenticationFailure(t *testing.T) {
	e := newTestEnv(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{}) // the test's key is not authorized
	e.trust(s)
	checkNoLeak(t)
	r := e.run("", e.args(s, "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, s.User+"@127.0.0.1: Permission denied (publickey,password,keyboard-interactive).")
	if !strings.Contains(r.stderr, e.keyFile) {
		t.Errorf("the failure does not name the key tried: %q", r.stderr)
	}
	// A wrong password from the environment fails the same way.
	e.env["AMIKO_PASSWORD"] = "wrong"
	r = e.run("", e.args(s, "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "Permission denied")
}

func TestPasswordFromEnvironment(t *testing.T) {
	e := newTestEnv(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	e.env["AMIKO_PASSWORD"] = s.Password
	r := e.run("", e.args(s, "127.0.0.1", "echo", "password-ok")...)
	if r.code != 0 || r.stdout != "password-ok\n" {
		t.Errorf("got %d %q, want 0 \"password-ok\\n\"", r.code, r.stdout)
	}
	// PasswordAuthentication=no keeps it from being used.
	r = e.run("", e.args(s, "-o", "PasswordAuthentication=no", "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "Permission denied")
}

func TestPasswordPrompt(t *testing.T) {
	e := newTestEnv(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	ask := &fakePrompter{answers: []string{s.Password}}
	e.ask = ask
	args := e.args(s, "-o", "BatchMode=no", "127.0.0.1", "echo", "prompted")
	// e.args set BatchMode=yes first, and the first value wins: drop it.
	args = dropOption(args, "BatchMode=yes")
	r := e.run("", args...)
	if r.code != 0 || r.stdout != "prompted\n" {
		t.Errorf("got %d %q, want 0 \"prompted\\n\"", r.code, r.stdout)
	}
	if got := ask.asked(); len(got) != 1 || got[0] != s.User+"@127.0.0.1's password: " {
		t.Errorf("prompts %q, want one password prompt", got)
	}
	// BatchMode=yes asks nothing.
	ask = &fakePrompter{answers: []string{s.Password}}
	e.ask = ask
	r = e.run("", e.args(s, "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "Permission denied")
	if len(ask.asked()) != 0 {
		t.Errorf("BatchMode=yes prompted %q", ask.asked())
	}
}

// dropOption removes "-o opt" from args.
func dropOption(args []string, opt string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-o" && args[i+1] == opt {
			return append(append([]string(nil), args[:i]...), args[i+2:]...)
		}
	}
	return args
}

func TestAskAddsHostKey(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	checkNoLeak(t)
	ask := &fakePrompter{answers: []string{"maybe", "yes"}}
	e.ask = ask
	args := dropOption(e.args(s, "127.0.0.1", "true"), "BatchMode=yes")
	r := e.run("", args...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	got := ask.asked()
	if len(got) != 2 || !strings.Contains(got[0], "can't be established") || !strings.Contains(got[1], "Please type") {
		t.Errorf("prompts %q", got)
	}
	if b, _ := os.ReadFile(e.knownHosts); !bytes.Contains(b, []byte("[127.0.0.1]:"+portOf(mustAddr(t, s.Addr)))) {
		t.Errorf("known_hosts after yes: %q", b)
	}
}

func TestAcceptNewWritesKnownHosts(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	checkNoLeak(t)
	r := e.run("", e.args(s, "-o", "StrictHostKeyChecking=accept-new", "127.0.0.1", "echo", "first")...)
	if r.code != 0 || r.stdout != "first\n" {
		t.Fatalf("first run: %d %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "Permanently added '[127.0.0.1]:") {
		t.Errorf("no notice of the added key: %q", r.stderr)
	}
	b, err := os.ReadFile(e.knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 1 || !strings.HasPrefix(string(b), "[127.0.0.1]:") {
		t.Errorf("known_hosts: %q, want one line for [127.0.0.1]:port", b)
	}
	// The second run finds it, with strict checking.
	r = e.run("", e.args(s, "-o", "StrictHostKeyChecking=yes", "127.0.0.1", "echo", "second")...)
	if r.code != 0 || r.stdout != "second\n" || r.stderr != "" {
		t.Errorf("second run: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// HashKnownHosts writes the name hashed, under a HostKeyAlias.
	r = e.run("", e.args(s, "-o", "StrictHostKeyChecking=accept-new", "-o", "HashKnownHosts=yes",
		"-o", "HostKeyAlias=alias.example", "-q", "127.0.0.1", "true")...)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("alias run: %d %q", r.code, r.stderr)
	}
	b, _ = os.ReadFile(e.knownHosts)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "|1|") {
		t.Errorf("known_hosts after a hashed alias: %q", b)
	}
	r = e.run("", e.args(s, "-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlias=alias.example", "127.0.0.1", "true")...)
	if r.code != 0 {
		t.Errorf("the alias is not found again: %d %q", r.code, r.stderr)
	}
}

func TestStrictNoWithChangedKey(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	checkNoLeak(t)
	stale := otherHostKeys(t, s)
	if err := os.WriteFile(e.knownHosts, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	// Key authentication still works: the command runs, after the
	// warning; known_hosts is left as it was.
	r := e.run("", e.args(s, "-o", "StrictHostKeyChecking=no", "127.0.0.1", "echo", "ran")...)
	if r.code != 0 || r.stdout != "ran\n" {
		t.Errorf("got %d %q, want 0 \"ran\\n\"", r.code, r.stdout)
	}
	for _, want := range []string{"REMOTE HOST IDENTIFICATION HAS CHANGED", "Password authentication is disabled"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q: %q", want, r.stderr)
		}
	}
	if b, _ := os.ReadFile(e.knownHosts); !bytes.Equal(b, stale) {
		t.Errorf("known_hosts changed: %q", b)
	}
	// The right password is not sent to a host whose key changed.
	e2 := *e
	e2.keyFile = e.home + "/unauthorized"
	writeNewKey(t, e2.keyFile)
	e2.env = map[string]string{"AMIKO_PASSWORD": s.Password}
	r = e2.run("", e2.args(s, "-o", "StrictHostKeyChecking=no", "127.0.0.1", "true")...)
	if r.code != 255 || !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("password with a changed key: got %d %q, want 255 and Permission denied", r.code, r.stderr)
	}
	if strings.Contains(s.Log(), "Accepted password") {
		t.Error("sshd accepted a password sent to a changed host key")
	}
	// An unknown host is added with "no".
	os.Remove(e.knownHosts)
	r = e.run("", e.args(s, "-o", "StrictHostKeyChecking=no", "127.0.0.1", "true")...)
	if b, _ := os.ReadFile(e.knownHosts); r.code != 0 || len(b) == 0 {
		t.Errorf("StrictHostKeyChecking=no with an unknown host: %d, known_hosts %q", r.code, b)
	}
}

func TestVerboseLogsWithoutSecrets(t *testing.T) {
	e := newTestEnv(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	e.env["AMIKO_PASSWORD"] = s.Password
	r := e.run("", e.args(s, "-v", "127.0.0.1", "true")...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{"debug1: ssh: negotiated", "trying public key", "trying password", e.keyFile} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v output lacks %q", want)
		}
	}
	if strings.Contains(r.stderr, s.Password) {
		t.Error("-v logged the password")
	}
}

// TestSendEnvAndSetEnv: SendEnv's patterns pick local variables, "-"
// takes patterns back, SetEnv's first line sets its pairs, and sshd
// (AcceptEnv) gives them to the command; OpenSSH's order is kept.
func TestSendEnvAndSetEnv(t *testing.T) {
	c := newConfig()
	for _, o := range []string{"SendEnv AMIKO_* LANG", "SendEnv -LANG OTHER", "SetEnv AMIKO_C=three AMIKO_C=dup", "SetEnv AMIKO_D=ignored"} {
		if err := c.apply(o); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(c.SendEnv, " "); got != "AMIKO_* OTHER" {
		t.Errorf("SendEnv %q", got)
	}
	got := environmentToSend(c, []string{"LANG=C", "AMIKO_A=one", "PATH=/bin", "AMIKO_B=two"})
	if strings.Join(got, " ") != "AMIKO_A=one AMIKO_B=two AMIKO_C=three" {
		t.Errorf("sent %q", got)
	}
	for _, bad := range []string{"SendEnv A=B", "SetEnv NOVALUE", "SetEnv =x"} {
		if err := newConfig().apply(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}

	e := newTestEnv(t)
	s := e.server(sshtest.Options{Config: []string{"AcceptEnv AMIKO_*"}})
	e.trust(s)
	checkNoLeak(t)
	t.Setenv("AMIKO_A", "one")
	r := e.run("", e.args(s, "-o", "SendEnv=AMIKO_A", "-o", "SetEnv=AMIKO_B=two", "127.0.0.1", "echo $AMIKO_A $AMIKO_B")...)
	if r.code != 0 || r.stdout != "one two\n" {
		t.Fatalf("got %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestMissingIdentityFile: an -i file that is not there is a warning and
// left out, as in OpenSSH, and the other keys still log in.
func TestMissingIdentityFile(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	missing := filepath.Join(t.TempDir(), "id_missing")
	r := e.run("", e.args(s, "-i", missing, "127.0.0.1", "echo ok")...)
	if r.code != 0 || r.stdout != "ok\n" || r.stderr != "Warning: Identity file "+missing+" not accessible: no such file or directory.\n" {
		t.Fatalf("got %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestVersionFlag: -V prints the version to stderr and exits 0 the
// moment it is read, whatever follows, as ssh -V does.
func TestVersionFlag(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{{"-V"}, {"-v", "-V", "host", "cmd"}, {"-t", "-V", "-p"}} {
		r := e.run("", args...)
		if r.code != 0 || r.stdout != "" || !strings.HasPrefix(r.stderr, "amiko ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}
