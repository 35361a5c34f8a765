package sshtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StartAgent starts a real OpenSSH ssh-agent holding keyFiles, added by
// ssh-add, and returns its socket. The agent is killed when the test ends.
//
// It waits until the socket accepts a connection, not merely until the
// file exists: ssh-agent binds before it listens, and a client that
// connects in between is refused.
func StartAgent(t testing.TB, keyFiles ...string) string {
	t.Helper()
	Require(t, "openssh")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	deadline := time.Now().Add(10 * time.Second) // a hang guard, not a timing
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent never listened on %s: %v", sock, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, f := range keyFiles {
		add := exec.Command("ssh-add", f)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v %s", f, err, out)
		}
	}
	return sock
}
