package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	// Aliased: this package has a type of its own named cgroup.
	cgroupv2 "github.com/amiko-ssh/amiko/internal/cgroup"
)

// cgroup is a cgroup v2 directory holding one sshd server's processes.
// It is how sshd's CPU is measured: its cpu.stat counts every process that
// ever ran in it, including sshd's session process, which outlives the
// "sshd -i" we start (the monitor exits without reaping it when the client
// disconnects, so the kernel never adds it to any rusage of ours).
type cgroup struct {
	dir string
	fd  *os.File // the directory, for starting processes inside it
}

// newCgroup makes a cgroup below this process's own, or fails where
// cgroup v2 is not mounted or not writable.
func newCgroup(name string) (*cgroup, error) {
	parent, err := cgroupv2.OwnDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(parent, fmt.Sprintf("amiko-bench-%d-%s", os.Getpid(), name))
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

// usage is the CPU time (user+system) of everything that ran inside.
func (c *cgroup) usage() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "cpu.stat"))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "usage_usec "); ok {
			us, err := strconv.ParseInt(v, 10, 64)
			return time.Duration(us) * time.Microsecond, err
		}
	}
	return 0, errors.New("no usage_usec in cpu.stat")
}

// waitEmpty waits, up to timeout, until no process is left inside.
func (c *cgroup) waitEmpty(timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.events"))
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "populated 0") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes still running in %s after %v", c.dir, timeout)
		}
	}
}

// close kills whatever is left inside and removes the cgroup.
func (c *cgroup) close() {
	os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0)
	c.waitEmpty(5 * time.Second)
	c.fd.Close()
	os.Remove(c.dir)
}
