package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemon is a server that runs as one long-lived process: dropbear, or
// the x/crypto/ssh server of bench/xsshserver.
type daemon struct {
	name string
	addr string
	cmd  *exec.Cmd
}

func (d *daemon) close() {
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	d.cmd.Wait()
}

// startDropbear runs dropbear in the foreground, bound to 127.0.0.1:0.
//
// dropbear reads only ~amikotest/.ssh/authorized_keys, so, as the tests
// do, it runs in a mount namespace of its own where our authorized_keys
// is bind-mounted over that file. It cannot say which port it bound, so
// we read it from /proc. Its host key is ours, converted to its format.
func startDropbear(f *fixture) (*daemon, error) {
	key := filepath.Join(f.dir, "dropbear_host_key")
	if out, err := exec.Command("dropbearconvert", "openssh", "dropbear", f.hostKey, key).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dropbearconvert: %v: %s", err, out)
	}
	logf, err := os.Create(filepath.Join(f.dir, "dropbear.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	userKeys := filepath.Join(f.home, ".ssh", "authorized_keys")
	cmd := exec.Command("/bin/sh", "-c", `mount --bind "$1" "$2" && shift 2 && exec "$@"`, "sh",
		f.authKey, userKeys,
		"/usr/sbin/dropbear", "-F", "-E", "-p", "127.0.0.1:0", "-r", key,
		"-P", filepath.Join(f.dir, "dropbear.pid"), "-s")
	cmd.Dir = f.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// A private mount namespace (Go makes its mounts private), its own
	// process group, and killed if we die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &daemon{name: "dropbear", cmd: cmd}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		port, err := listeningPort(cmd.Process.Pid)
		if err == nil {
			d.addr = fmt.Sprintf("127.0.0.1:%d", port)
			return d, nil
		}
		if time.Now().After(deadline) {
			d.close()
			log, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("dropbear did not start: %v\n%s", err, log)
		}
	}
}

// startXSSHServer runs bench/xsshserver, which prints its address.
func startXSSHServer(f *fixture) (*daemon, error) {
	cmd := exec.Command(filepath.Join(f.bin, "xsshserver"), "-host-key", f.hostKey, "-authorized-keys", f.authKey)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &daemon{name: "xssh", cmd: cmd}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
	if err != nil || !ok {
		d.close()
		return nil, fmt.Errorf("xsshserver did not start: %q, %v", line, err)
	}
	d.addr = addr
	return d, nil
}

// listeningPort returns the port of a TCP socket the process pid listens
// on: the socket inodes among its descriptors, looked up in its view of
// the kernel's TCP table (state 0A is LISTEN).
func listeningPort(pid int) (int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	table, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(table, []byte("\n"))[1:] {
		f := strings.Fields(string(line))
		if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if port, err := strconv.ParseUint(f[1][i+1:], 16, 16); err == nil {
			return int(port), nil
		}
	}
	return 0, errors.New("not listening yet")
}
