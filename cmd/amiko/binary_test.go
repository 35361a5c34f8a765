package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// binDir holds the amiko binary built for the tests that run it as a
// process; TestMain removes it.
var binDir string

// realHome is HOME before the tests point it at temporary directories:
// go build finds its build and module caches under it.
var realHome string

func TestMain(m *testing.M) {
	realHome = os.Getenv("HOME")
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "amiko-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "amiko")
	// The binary reads the test's config files, never the machine's.
	args := []string{"build", "-o", bin, "-ldflags",
		"-X main.userConfigFile=" + userConfigFile + " -X main.systemConfigFile=" + systemConfigFile}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Env = append(os.Environ(), "HOME="+realHome)
	out, err := build.CombinedOutput()
	if err != nil {
		return "", errors.New("go build: " + err.Error() + "\n" + string(out))
	}
	return bin, nil
})

// amikoBinary builds the real main with `go build`, once.
func amikoBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestBinaryExitStatus(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	bin := amikoBinary(t)
	cmd := exec.Command(bin, append([]string{"ssh"}, e.args(s, "127.0.0.1", "echo out; echo err >&2; exit 42")...)...)
	cmd.Stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 42 {
		t.Errorf("amiko ssh ... exit 42: %v", err)
	}
	if stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}

	// No arguments at all: usage and a failure status.
	out, err := exec.Command(bin).CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !bytes.Contains(out, []byte("usage: amiko")) {
		t.Errorf("amiko without arguments: %v %q", err, out)
	}
}

// TestProxyCommand reaches the destination through a ProxyCommand that
// is amiko itself with -W through a jump host: the classic use, and a
// test of -W from a real process.
func TestProxyCommand(t *testing.T) {
	e := newTestEnv(t)
	jump := e.server(sshtest.Options{})
	dest := e.server(sshtest.Options{})
	e.trust(jump, dest)
	bin := amikoBinary(t)
	checkNoLeak(t)
	_, jumpPort, _ := net.SplitHostPort(jump.Addr)
	proxy := strings.Join(append([]string{bin, "ssh"}, e.args(jump, "-W", "%h:%p", "127.0.0.1")...), " ")
	_, destPort, _ := net.SplitHostPort(dest.Addr)
	r := e.run("", e.args(dest, "-o", "ProxyCommand="+proxy, "127.0.0.1", "echo", "via-proxy")...)
	if r.code != 0 || r.stdout != "via-proxy\n" {
		t.Fatalf("ProxyCommand: got %d %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(jump.Log(), "target 127.0.0.1 port "+destPort) {
		t.Errorf("the jump host on port %s saw no direct-tcpip to the destination", jumpPort)
	}
	// A proxy command that fails ends in one line.
	r = e.run("", e.args(dest, "-o", "ProxyCommand=exit 3", "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "")
}

// TestBinaryInterrupted: SIGINT ends a running command's session, and
// amiko exits 255 as ssh does, at once rather than when the command ends.
func TestBinaryInterrupted(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	bin := amikoBinary(t)
	cmd := exec.Command(bin, append([]string{"ssh"}, e.args(s, "127.0.0.1", "echo started; exec sleep 600")...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() // a hang guard
	line := make([]byte, len("started\n"))
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "started\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 255 {
		t.Errorf("after SIGINT: %v, want exit status 255", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing", stderr.String())
	}
}
