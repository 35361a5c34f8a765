//go:build !linux

package sshtest

import (
	"errors"
	"syscall"
)

// serverProcAttr puts a server process in a process group of its own.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// privateMountsProcAttr returns nil: mount namespaces are Linux's.
func privateMountsProcAttr() *syscall.SysProcAttr { return nil }

// killTree kills the process group pid leads; descendants that left it
// survive, which only Linux's /proc lets us find.
func killTree(pid int) {
	syscall.Kill(-pid, syscall.SIGKILL)
}

// waitExited cannot wait without reaping here; the caller reaps with Wait
// and accepts that a kill may race with the reaping.
func waitExited(pid int) error { return errors.ErrUnsupported }

// listeningPort would need a process's socket table, which only Linux's
// /proc shows.
func listeningPort(pid int) (int, error) { return 0, errors.ErrUnsupported }

// cgroup is Linux's; elsewhere there is none and killTree does its best.
type cgroup struct{}

func newCgroup() (*cgroup, error)              { return nil, errors.ErrUnsupported }
func (c *cgroup) startIn(*syscall.SysProcAttr) {}
func (c *cgroup) kill() error                  { return nil }
func (c *cgroup) remove() error                { return nil }
