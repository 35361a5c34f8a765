package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// account is the local login account sshd and dropbear authenticate.
type account struct {
	uid, gid int
	home     string
}

var (
	accountOnce   sync.Once
	theAccount    account
	theAccountErr error
)

// testAccount returns the amikotest account, creating it on first use.
//
// sshd and dropbear need a real account: root's password is locked, and
// without PAM sshd refuses locked accounts, while dropbear reads only the
// user's own ~/.ssh/authorized_keys. Test binaries of several packages run
// at once, so creation happens under an flock shared by all of them, and
// is idempotent: an existing account only gets its password and ~/.ssh
// put right.
func testAccount() (account, error) {
	accountOnce.Do(func() {
		theAccount, theAccountErr = setUpAccount()
	})
	return theAccount, theAccountErr
}

func setUpAccount() (account, error) {
	unlock, err := lockFile(filepath.Join(os.TempDir(), "amiko-sshtest-account.lock"))
	if err != nil {
		return account{}, err
	}
	defer unlock()

	if _, err := user.Lookup(testUser); err != nil {
		out, err := exec.Command("useradd", "--create-home", "--home-dir", testHome,
			"--shell", "/bin/sh", "--comment", "amiko test account", testUser).CombinedOutput()
		if err != nil {
			return account{}, fmt.Errorf("sshtest: useradd %s: %v: %s", testUser, err, out)
		}
	}
	// Set every time: the password is part of the harness's contract, and
	// setting it is what unlocks an account useradd left locked.
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(testUser + ":" + testPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return account{}, fmt.Errorf("sshtest: chpasswd: %v: %s", err, out)
	}

	u, err := user.Lookup(testUser)
	if err != nil {
		return account{}, fmt.Errorf("sshtest: %s: %w", testUser, err)
	}
	a := account{home: u.HomeDir}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return account{}, fmt.Errorf("sshtest: %s uid %q: %w", testUser, u.Uid, err)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		return account{}, fmt.Errorf("sshtest: %s gid %q: %w", testUser, u.Gid, err)
	}
	if err := a.prepareSSHDir(); err != nil {
		return account{}, err
	}
	return a, nil
}

// prepareSSHDir makes ~/.ssh and an empty ~/.ssh/authorized_keys if
// missing, owned by the account and closed to others as dropbear demands.
// The file must exist for dropbear's per-process bind mount to land on.
func (a account) prepareSSHDir() error {
	dir := filepath.Join(a.home, ".ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	keys := filepath.Join(dir, "authorized_keys")
	f, err := os.OpenFile(keys, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{a.home, dir, keys} {
		if err := os.Chown(p, a.uid, a.gid); err != nil {
			return err
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(keys, 0o600)
}

// giveTo makes path belong to the account, with mode perm.
func (a account) giveTo(path string, perm os.FileMode) error {
	if err := os.Chown(path, a.uid, a.gid); err != nil {
		return err
	}
	return os.Chmod(path, perm)
}

// lockFile takes an exclusive flock on path, creating it, and returns the
// function that releases it.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("sshtest: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("sshtest: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// shareDir gives the server directory dir to the account, and lets the
// account reach it: sshd reads AuthorizedKeysFile as the user, and tests
// may have the user write files there. The parent is t.TempDir's per-test
// directory, created 0700; it gets search permission only, not listing.
func (a account) shareDir(dir string) error {
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		return err
	}
	return a.giveTo(dir, 0o755)
}
