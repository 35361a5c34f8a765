package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The login account sshd and dropbear run commands as: the same one the
// tests use (internal/sshtest), created the same way if it is missing.
const (
	benchUser     = "amikotest"
	benchPassword = "amiko-test-password" // sshtest's; sshd without PAM refuses a locked account
	accountLock   = "amiko-sshtest-account.lock"
)

// fixture is what every server and client of a run shares: one host key
// (so that every client verifies the same ed25519 signature whatever the
// server), one user key, and a known_hosts file naming every address.
type fixture struct {
	dir     string // the run's temporary directory, 0711
	runDir  string // owned by the account: the commands' reports land here
	bin     string // where the client programs are
	hostKey string // ed25519, OpenSSH format
	hostPub ssh.PublicKey
	userKey string // ed25519, OpenSSH format, 0600
	authKey string // authorized_keys with the user key, owned by the account
	known   string // known_hosts, rewritten by addKnown
	addrs   []string
	sink    string // this program, copied where the account can run it

	uid, gid int
	home     string
	keep     bool // leave dir behind, for debugging
}

func newFixture(bin string) (*fixture, error) {
	f := &fixture{bin: bin}
	var err error
	if f.uid, f.gid, f.home, err = ensureAccount(); err != nil {
		return nil, err
	}
	if f.dir, err = os.MkdirTemp("", "amiko-bench-"); err != nil {
		return nil, err
	}
	// sshd reads authorized_keys as the user: let it through.
	if err := os.Chmod(f.dir, 0o711); err != nil {
		return nil, err
	}
	f.runDir = filepath.Join(f.dir, "run")
	if err := os.Mkdir(f.runDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chown(f.runDir, f.uid, f.gid); err != nil {
		return nil, err
	}

	f.hostKey = filepath.Join(f.dir, "host_ed25519")
	if f.hostPub, err = writeKey(f.hostKey); err != nil {
		return nil, err
	}
	f.userKey = filepath.Join(f.dir, "user_ed25519")
	userPub, err := writeKey(f.userKey)
	if err != nil {
		return nil, err
	}
	f.authKey = filepath.Join(f.dir, "authorized_keys")
	if err := os.WriteFile(f.authKey, ssh.MarshalAuthorizedKey(userPub), 0o600); err != nil {
		return nil, err
	}
	if err := os.Chown(f.authKey, f.uid, f.gid); err != nil {
		return nil, err
	}
	f.known = filepath.Join(f.dir, "known_hosts")
	if err := os.WriteFile(f.known, nil, 0o644); err != nil {
		return nil, err
	}

	f.sink = filepath.Join(f.runDir, "benchsink")
	if err := copyExecutable(f.sink); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fixture) close() {
	if f.keep {
		fmt.Fprintf(os.Stderr, "bench: kept %s\n", f.dir)
		return
	}
	os.RemoveAll(f.dir)
}

// addKnown adds addr to known_hosts with the shared host key. paramiko
// matches host names exactly, so every address (servers and proxies)
// gets its own line rather than a wildcard.
func (f *fixture) addKnown(addr string) error {
	f.addrs = append(f.addrs, addr)
	var b strings.Builder
	for _, a := range f.addrs {
		b.WriteString(knownhosts.Line([]string{a}, f.hostPub) + "\n")
	}
	return os.WriteFile(f.known, []byte(b.String()), 0o644)
}

// writeKey writes a fresh ed25519 private key to path, 0600 as ssh
// demands, and returns its public half.
func writeKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// copyExecutable copies this program to dst, runnable by anyone.
func copyExecutable(dst string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ensureAccount returns the account, creating it if missing. The tests
// create it the same way under the same lock (internal/sshtest), and may
// run meanwhile: an existing account is left as it is, apart from making
// sure ~/.ssh/authorized_keys exists for dropbear's bind mount to land on.
func ensureAccount() (uid, gid int, home string, err error) {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), accountLock), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return 0, 0, "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return 0, 0, "", err
	}
	if _, err := user.Lookup(benchUser); err != nil {
		out, err := exec.Command("useradd", "--create-home", "--home-dir", "/home/"+benchUser,
			"--shell", "/bin/sh", "--comment", "amiko test account", benchUser).CombinedOutput()
		if err != nil {
			return 0, 0, "", fmt.Errorf("useradd %s: %v: %s", benchUser, err, out)
		}
		cmd := exec.Command("chpasswd")
		cmd.Stdin = strings.NewReader(benchUser + ":" + benchPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, 0, "", fmt.Errorf("chpasswd: %v: %s", err, out)
		}
	}
	u, err := user.Lookup(benchUser)
	if err != nil {
		return 0, 0, "", err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	sshDir := filepath.Join(u.HomeDir, ".ssh")
	keys := filepath.Join(sshDir, "authorized_keys")
	if _, err := os.Stat(keys); err != nil {
		if err := os.MkdirAll(sshDir, 0o700); err != nil {
			return 0, 0, "", err
		}
		if err := os.WriteFile(keys, nil, 0o600); err != nil {
			return 0, 0, "", err
		}
		for _, p := range []string{sshDir, keys} {
			if err := os.Chown(p, uid, gid); err != nil {
				return 0, 0, "", err
			}
		}
	}
	return uid, gid, u.HomeDir, nil
}
