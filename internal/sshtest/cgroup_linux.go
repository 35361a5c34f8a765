package sshtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	// Aliased: this package has a type of its own named cgroup.
	cgroupv2 "github.com/amiko-ssh/amiko/internal/cgroup"
)

// cgroup is a cgroup v2 directory that holds one server's processes.
//
// It is what makes cleanup complete. A process tree cannot be trusted
// to hold everything a server started: when a client disconnects, sshd
// exits and the command it ran for the client (already in a session of its
// own) is reparented to init, out of reach of any walk from sshd's pid.
// The kernel keeps every descendant in its parent's cgroup whatever it
// does, and cgroup.kill kills them all.
type cgroup struct {
	dir string
	fd  *os.File // the directory, for starting processes inside it
}

var cgroupSeq atomic.Int64

// newCgroup makes a cgroup below the test process's own.
func newCgroup() (*cgroup, error) {
	parent, err := cgroupv2.OwnDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(parent, fmt.Sprintf("sshtest-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	fd, err := os.Open(dir)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	return &cgroup{dir: dir, fd: fd}, nil
}

// startIn makes a process started with attr begin inside the cgroup
// (clone3 with CLONE_INTO_CGROUP), so not even its first fork escapes.
func (c *cgroup) startIn(attr *syscall.SysProcAttr) {
	attr.UseCgroupFD = true
	attr.CgroupFD = int(c.fd.Fd())
}

// kill kills every process in the cgroup and waits, a few seconds at
// most, until none is left.
func (c *cgroup) kill() error {
	if err := os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0); err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.events"))
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "populated 0") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshtest: cgroup %s still populated after kill", c.dir)
		}
	}
}

// remove removes the emptied cgroup.
func (c *cgroup) remove() error {
	c.fd.Close()
	return os.Remove(c.dir)
}
