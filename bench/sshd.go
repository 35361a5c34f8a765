package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const sshdPath = "/usr/sbin/sshd" // sshd refuses to run by a relative path

// sshd is OpenSSH's sshd run the way inetd runs it, as internal/sshtest
// does: we own the listener on 127.0.0.1 and start one "sshd -i" per
// connection. Each server's processes run in a cgroup of its own, whose
// CPU counter is sshd's CPU (see cgroup), and the benchmark makes one
// connection at a time, so a connection's CPU is the counter's growth
// from its start until the cgroup is empty again.
type sshd struct {
	name string
	addr string
	ln   net.Listener
	log  *os.File

	cg    *cgroup // nil where cgroup v2 is not available: no CPU figures
	cgErr error

	mu      sync.Mutex
	running map[int]bool // pids of sshd -i still running
	wg      sync.WaitGroup
}

// startSSHD starts a server whose sshd_config has the harness's lines and
// then extra (Ciphers, MACs, Compression).
func startSSHD(f *fixture, name string, extra ...string) (*sshd, error) {
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation
		return nil, err
	}
	lines := append(extra,
		"HostKey "+f.hostKey,
		"AuthorizedKeysFile "+f.authKey,
		"UsePAM no",
		"StrictModes no",
		"PidFile none",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PrintMotd no",
		"PrintLastLog no",
		"UseDNS no",
		// Logging costs the server CPU; only failures are worth it here.
		"LogLevel ERROR",
		"Subsystem sftp internal-sftp",
	)
	cfg := filepath.Join(f.dir, "sshd_config_"+name)
	if err := os.WriteFile(cfg, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command(sshdPath, "-t", "-f", cfg).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sshd rejects its configuration: %v: %s", err, out)
	}
	logf, err := os.OpenFile(filepath.Join(f.dir, "sshd_"+name+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		logf.Close()
		return nil, err
	}
	s := &sshd{name: name, addr: ln.Addr().String(), ln: ln, log: logf, running: map[int]bool{}}
	s.cg, s.cgErr = newCgroup(name)
	s.wg.Add(1)
	go s.accept(cfg, f.dir)
	return s, nil
}

func (s *sshd) accept(cfg, dir string) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(s.log, "bench: accept: %v\n", err)
			}
			return
		}
		cmd := exec.Command(sshdPath, "-i", "-e", "-f", cfg)
		cmd.Dir = dir
		// Its own process group, and killed if we die first.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if s.cg != nil {
			// Started inside (clone3 with CLONE_INTO_CGROUP): not even
			// its first fork escapes.
			cmd.SysProcAttr.UseCgroupFD = true
			cmd.SysProcAttr.CgroupFD = int(s.cg.fd.Fd())
		}
		err = s.start(c, cmd)
		c.Close() // the child has its own copy
		if err != nil {
			fmt.Fprintf(s.log, "bench: starting sshd: %v\n", err)
		}
	}
}

func (s *sshd) start(c net.Conn, cmd *exec.Cmd) error {
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		return err
	}
	defer f.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, s.log
	if err := cmd.Start(); err != nil {
		return err
	}
	s.mu.Lock()
	s.running[cmd.Process.Pid] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		cmd.Wait()
		s.mu.Lock()
		delete(s.running, cmd.Process.Pid)
		s.mu.Unlock()
	}()
	return nil
}

// cpuMark is sshd's CPU counter before a connection.
type cpuMark time.Duration

// mark reads the CPU counter, before a connection starts.
func (s *sshd) mark() (cpuMark, error) {
	if s.cg == nil {
		return 0, fmt.Errorf("sshd CPU not measured: no cgroup: %v", s.cgErr)
	}
	u, err := s.cg.usage()
	return cpuMark(u), err
}

// cpuSince waits, up to timeout, for every process of the connection
// started after m to end, and returns the CPU they took.
func (s *sshd) cpuSince(m cpuMark, timeout time.Duration) (time.Duration, error) {
	if s.cg == nil {
		return 0, fmt.Errorf("sshd CPU not measured: no cgroup: %v", s.cgErr)
	}
	if err := s.cg.waitEmpty(timeout); err != nil {
		return 0, err
	}
	u, err := s.cg.usage()
	return u - time.Duration(m), err
}

// close stops listening, kills whatever sshd is still running (with its
// process group) and waits for everything to be reaped.
func (s *sshd) close() {
	s.ln.Close()
	s.mu.Lock()
	for pid := range s.running {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
	s.mu.Unlock()
	s.wg.Wait()
	if s.cg != nil {
		s.cg.close()
	}
	s.log.Close()
}
