package sshtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
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
	parent, err := ownCgroupDir()
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

// ownCgroupDir finds this process's cgroup v2 directory: its path from
// /proc/self/cgroup ("0::/path") under the cgroup2 mount point.
func ownCgroupDir() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var rel string
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			rel, found = p, true
		}
	}
	if !found {
		return "", errors.New("sshtest: no cgroup v2 membership")
	}
	mount, err := cgroup2Mount()
	if err != nil {
		return "", err
	}
	return filepath.Join(mount, rel), nil
}

// cgroup2Mount returns where the cgroup2 file system is mounted, from
// /proc/self/mountinfo: "... mountpoint ... - cgroup2 source options".
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		if f := strings.Fields(pre); len(f) >= 5 {
			return f[4], nil
		}
	}
	return "", errors.New("sshtest: cgroup2 is not mounted")
}
