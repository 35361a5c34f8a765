package sshtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const dropbearPath = "/usr/sbin/dropbear"

// dropbearMaxHostKeys is dropbear's MAX_HOSTKEYS: with more -r options it
// exits with "Too many hostkeys".
const dropbearMaxHostKeys = 4

// StartDropbear starts dropbear for t, logging to Log. It needs root, and
// logs users in as the amikotest account. o.Config lines are extra
// command-line arguments; AllAlgorithms changes nothing, as dropbear always
// offers everything it was compiled with.
//
// Unlike sshd, dropbear cannot run in inetd mode here: it refuses to log
// to stderr in that mode ("inetd mode is incompatible with debug -v or
// non-syslog"), and there is no syslog to read. So it runs as a daemon
// bound to 127.0.0.1:0, and the harness reads the port it got from
// /proc, which no other process can take in between.
//
// dropbear 2022.83 has no AuthorizedKeysFile option: it reads only
// ~amikotest/.ssh/authorized_keys. So each dropbear server runs in a mount
// namespace of its own, in which this server's authorized_keys file is
// bind-mounted over that one, and no two servers see each other's keys.
// Where namespaces are not allowed, the keys are added to the real file
// instead, which then authorizes every key of every dropbear server any
// test started (see DropbearKeysIsolated).
func StartDropbear(t testing.TB, o Options) *Server {
	t.Helper()
	Require(t, "dropbear")
	Require(t, "root")
	types, err := hostKeyTypes(o.HostKeyTypes)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) > dropbearMaxHostKeys {
		t.Fatalf("sshtest: dropbear loads at most %d host keys; asked for %v", dropbearMaxHostKeys, types)
	}
	acct, err := testAccount()
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, "dropbear")
	if err := acct.shareDir(s.Dir); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	keys, err := dropbearHostKeys(s.Dir, types)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKeys = publicKeys(keys)

	// dropbear opens the file as the user and insists that the user or
	// root own it and that nobody else may write it.
	authorized := s.authorizedKeys(o.AuthorizedKeys)
	authPath := filepath.Join(s.Dir, "authorized_keys")
	if err := os.WriteFile(authPath, authorized, 0o600); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	if err := acct.giveTo(authPath, 0o600); err != nil {
		t.Fatalf("sshtest: %v", err)
	}

	args := []string{
		"-F", "-E", // foreground, log to stderr
		"-p", "127.0.0.1:0",
		"-P", filepath.Join(s.Dir, "dropbear.pid"), // not /var/run's
	}
	for _, k := range keys {
		args = append(args, "-r", k.path)
	}
	for _, l := range o.Config {
		args = append(args, strings.Fields(l)...)
	}
	var cmd *exec.Cmd
	if userKeys := filepath.Join(acct.home, ".ssh", "authorized_keys"); DropbearKeysIsolated() {
		cmd = exec.Command("/bin/sh", "-c", `mount --bind "$1" "$2" && shift 2 && exec "$@"`,
			"sh", authPath, userKeys, dropbearPath)
		cmd.Args = append(cmd.Args, args...)
		cmd.SysProcAttr = privateMountsProcAttr()
	} else {
		if err := addSharedAuthorizedKeys(acct, userKeys, authorized); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(dropbearPath, args...)
		cmd.SysProcAttr = serverProcAttr()
	}
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Dir = s.Dir
	logf, err := s.openLog()
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	defer logf.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = logf, logf

	p := newProcs()
	exited, err := p.start(cmd)
	if err != nil {
		t.Fatalf("sshtest: starting dropbear: %v", err)
	}
	t.Cleanup(p.stop)
	port, err := waitListening(cmd.Process.Pid, exited, startupTimeout)
	if err != nil {
		p.stop() // so the log is complete
		t.Fatalf("sshtest: dropbear did not start: %v\n%s", err, tail(s.Log(), 16<<10))
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	return s
}

// waitListening waits for the process pid to listen on a TCP port, and
// returns the port.
func waitListening(pid int, exited <-chan struct{}, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		port, err := listeningPort(pid)
		select {
		case <-exited:
			// Whatever was read may have been a stranger's, the pid reused.
			return 0, errors.New("it exited")
		default:
		}
		if err == nil {
			return port, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no listening socket after %v: %w", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// DropbearKeysIsolated reports whether each dropbear server sees only its
// own authorized keys, which takes a private mount namespace per server. Where it is false, a key authorized for one dropbear server is
// authorized for all of them, and tests that expect a key to be refused
// by dropbear should skip.
var DropbearKeysIsolated = sync.OnceValue(func() bool {
	attr := privateMountsProcAttr()
	if attr == nil || os.Geteuid() != 0 {
		return false
	}
	dir, err := os.MkdirTemp("", "sshtest-mount-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if os.WriteFile(src, nil, 0o600) != nil || os.WriteFile(dst, nil, 0o600) != nil {
		return false
	}
	cmd := exec.Command("/bin/sh", "-c", `mount --bind "$1" "$2"`, "sh", src, dst)
	cmd.SysProcAttr = attr
	return cmd.Run() == nil
})

// dropbearHostKeys generates host keys with dropbearkey, in dropbear's
// own format, which it needs.
func dropbearHostKeys(dir string, types []string) ([]hostKey, error) {
	var keys []hostKey
	for _, typ := range types {
		path := filepath.Join(dir, "dropbear_"+typ+"_host_key")
		args := append(append([]string{}, keySpecs[typ].dropbearkey...), "-f", path)
		out, err := exec.Command("dropbearkey", args...).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("sshtest: dropbearkey %s: %v: %s", strings.Join(args, " "), err, out)
		}
		pub, err := publicKeyLine(out)
		if err != nil {
			return nil, fmt.Errorf("sshtest: dropbearkey %s: %w", typ, err)
		}
		keys = append(keys, hostKey{typ: typ, path: path, pub: pub})
	}
	return keys, nil
}

// publicKeyLine finds the authorized_keys-style line in dropbearkey's
// chatter ("Public key portion is:", then the key, then a fingerprint).
func publicKeyLine(out []byte) (ssh.PublicKey, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if pub, _, _, _, err := ssh.ParseAuthorizedKey(sc.Bytes()); err == nil {
			return pub, nil
		}
	}
	return nil, fmt.Errorf("no public key in output: %s", out)
}

// addSharedAuthorizedKeys adds keys to the account's real
// authorized_keys, the fallback when servers cannot each have their own.
// Test processes run in parallel, so the file only ever grows, by whole
// lines, under a lock all of them take.
func addSharedAuthorizedKeys(acct account, path string, keys []byte) error {
	unlock, err := lockFile(filepath.Join(os.TempDir(), "amiko-sshtest-dropbear-keys.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(old), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var add strings.Builder
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		add.WriteString("\n") // someone left a partial line; keep ours whole
	}
	for _, l := range strings.Split(string(keys), "\n") {
		if l = strings.TrimSpace(l); l != "" && !have[l] {
			add.WriteString(l + "\n")
		}
	}
	if strings.TrimSpace(add.String()) == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(add.String())
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	if cerr != nil {
		return cerr
	}
	return acct.giveTo(path, 0o600)
}
