package sshtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// serverProcAttr puts a server process in a process group of its own, and
// has the kernel kill it if the test binary dies first, so that a test
// killed by its timeout leaves no server behind.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// privateMountsProcAttr is serverProcAttr in a new mount namespace, whose
// mounts are private (Go remounts / with MS_PRIVATE in the child), so a bind
// mount made there is seen by that process tree only.
func privateMountsProcAttr() *syscall.SysProcAttr {
	a := serverProcAttr()
	a.Unshareflags = syscall.CLONE_NEWNS
	return a
}

// stopTree stops the process pid (a child of ours that has not been
// reaped) and all its descendants with SIGSTOP, and returns their pids,
// pid first. It walks parent links in /proc rather than the process group
// because sshd's session children call setsid.
//
// Stopping top-down before killing is what makes the walk safe: a
// stopped process can neither fork a child the walk would miss nor reap a
// child whose pid could then be reused by a stranger.
func stopTree(pid int) []int {
	stopped := map[int]bool{}
	order := []int{}
	for {
		children := childrenByParent()
		grew := false
		queue := []int{pid}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if !stopped[p] {
				syscall.Kill(p, syscall.SIGSTOP)
				stopped[p] = true
				order = append(order, p)
				grew = true
			}
			queue = append(queue, children[p]...)
		}
		if !grew {
			return order
		}
	}
}

// killTree kills pid and its descendants; see stopTree.
func killTree(pid int) {
	for _, p := range stopTree(pid) {
		syscall.Kill(p, syscall.SIGKILL)
	}
}

// childrenByParent maps each parent pid to its children's, from /proc.
func childrenByParent() map[int][]int {
	m := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid ...": comm may hold spaces and
		// parentheses, so read after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		pid, err1 := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			m[ppid] = append(m[ppid], pid)
		}
	}
	return m
}

// waitExited blocks until the child pid has exited, without reaping it,
// so that its pid stays ours until the caller reaps it with Wait. That
// lets a concurrent killTree trust that a child not yet marked exited
// still owns its pid.
func waitExited(pid int) error {
	const pPID = 1     // P_PID
	var info [128]byte // siginfo_t, unread
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			if errno != 0 {
				return errno
			}
			return nil
		}
	}
}

// listeningPort returns the port of a TCP socket the process pid listens
// on, from the socket inodes among its descriptors and the kernel's table
// of TCP sockets. It is how we learn the port of a server that bound port
// 0 but does not say which port it got.
func listeningPort(pid int) (int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		// "sl local_address rem_address st ... inode": the local
		// address is HEXIP:HEXPORT, and st 0A is LISTEN.
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			i := strings.LastIndexByte(f[1], ':')
			port, err := strconv.ParseUint(f[1][i+1:], 16, 16)
			if err == nil {
				return int(port), nil
			}
		}
	}
	return 0, errNotListening
}

var errNotListening = errors.New("not listening yet")
