package sshtest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestNoLeaks starts each server, uses it and lets its test end, then
// checks that no goroutine is left behind. It is not parallel, so the
// count is not disturbed by other tests (parallel tests wait for it).
func TestNoLeaks(t *testing.T) {
	for _, st := range starters {
		before := runtime.NumGoroutine()
		t.Run(st.name, func(t *testing.T) {
			s := st.start(t, Options{})
			c := dial(t, s)
			if out, _, err := run(t, c, "echo hello", ""); err != nil || out != "hello\n" {
				t.Fatalf("echo hello: %q, %v", out, err)
			}
			// A session still open when the test ends must not keep the
			// server, or anything of the harness, alive.
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if err := sess.Start("sleep 600"); err != nil {
				t.Fatal(err)
			}
		})
		if after := settledGoroutines(before); after > before {
			t.Errorf("%s: %d goroutines before, %d after:\n%s", st.name, before, after, goroutineDump())
		}
	}
}

// TestStop checks that stopping a server kills what its processes
// started, including children that left the process group with setsid as
// sshd's session children do, and, with cgroups, children orphaned before
// the stop, as a command is when sshd exits on a client's disconnect.
func TestStop(t *testing.T) {
	cases := []struct {
		name, script string
		cgroup       bool
	}{
		{"tree", "setsid sleep 600 & echo $!; sleep 600", false},
		{"cgroup", "setsid sleep 600 & echo $!; sleep 600", true},
		{"cgroup orphan", "setsid sleep 600 & echo $!", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProcs()
			if tc.cgroup && p.cg == nil {
				t.Skip("no cgroups here")
			}
			if !tc.cgroup && p.cg != nil {
				p.cg.remove()
				p.cg = nil
			}
			grandchild := startGrandchild(t, p, tc.script)
			p.stop()
			for deadline := time.Now().Add(5 * time.Second); alive(grandchild); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("setsid grandchild %d survived", grandchild)
				}
			}
		})
	}
}

// startGrandchild runs script, which starts a process and prints its pid,
// under p, and returns that pid.
func startGrandchild(t *testing.T, p *procs, script string) int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdout = w
	cmd.SysProcAttr = serverProcAttr()
	_, err = p.start(cmd)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	pid, err2 := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || err2 != nil {
		p.stop()
		t.Fatalf("reading pid: %q, %v", line, err)
	}
	return pid
}

// alive reports whether pid runs: it exists and is not a zombie waiting
// for a parent (init, here) to reap it.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// TestDropbearKeysIsolated checks that a key authorized for one dropbear
// server is refused by another.
func TestDropbearKeysIsolated(t *testing.T) {
	Require(t, "dropbear")
	Require(t, "root")
	if !DropbearKeysIsolated() {
		t.Skip("no mount namespaces here: dropbear servers share authorized keys")
	}
	a := StartDropbear(t, Options{})
	b := StartDropbear(t, Options{})
	if c, err := tryDial(a, ssh.PublicKeys(b.UserKey)); err == nil {
		c.Close()
		t.Error("server a accepted server b's user key")
	}
	dial(t, a).Close()
	dial(t, b).Close()
}

// TestXSSHHandler checks that a Handler replaces the session service.
func TestXSSHHandler(t *testing.T) {
	s := StartXSSH(t, XSSHOptions{Handler: func(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			nc.Reject(ssh.Prohibited, "handler says no")
		}
	}})
	_, err := dial(t, s).NewSession()
	var open *ssh.OpenChannelError
	if !errors.As(err, &open) || open.Message != "handler says no" {
		t.Fatalf("NewSession: %v, want the handler's rejection", err)
	}
}

// TestXSSHExitSignal checks that a command killed by a signal is reported
// with exit-signal, as OpenSSH reports it.
func TestXSSHExitSignal(t *testing.T) {
	s := StartXSSH(t, XSSHOptions{})
	_, _, err := run(t, dial(t, s), "kill -TERM $$", "")
	var exit *ssh.ExitError
	if !errors.As(err, &exit) || exit.Signal() != "TERM" {
		t.Fatalf("got %v, want exit-signal TERM", err)
	}
}
