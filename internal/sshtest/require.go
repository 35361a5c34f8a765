package sshtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// python is Debian's interpreter, which has python3-paramiko and
// python3-asyncssh; a python3 earlier on PATH (pyenv, a virtualenv) may
// not.
const python = "/usr/bin/python3"

// requirement is something a test needs from the machine.
type requirement struct {
	check   func() error
	install string // what to do about it, for the skip message
}

var requirements = map[string]requirement{
	"openssh": {
		check:   allOf(file("/usr/sbin/sshd"), command("ssh-keygen"), command("ssh")),
		install: "apt-get install openssh-server openssh-client",
	},
	"dropbear": {
		check:   allOf(file("/usr/sbin/dropbear"), command("dropbearkey")),
		install: "apt-get install dropbear-bin",
	},
	"paramiko": {
		check:   pythonModule("paramiko"),
		install: "apt-get install python3-paramiko",
	},
	"asyncssh": {
		check:   pythonModule("asyncssh"),
		install: "apt-get install python3-asyncssh",
	},
	"xauth": {
		check:   command("xauth"),
		install: "apt-get install xauth",
	},
	"root": {
		check: func() error {
			if os.Geteuid() != 0 {
				return errors.New("not running as root")
			}
			return nil
		},
		install: "run the tests as root (sshd and dropbear must switch to the test account)",
	},
}

// Require skips the test, saying what to install, unless what is
// available. Under CI (CI=true in the environment) it fails the test
// instead, so a CI machine missing a peer cannot pass by skipping.
//
// what is one of "openssh", "dropbear", "paramiko", "asyncssh", "xauth" or "root",
// an absolute path that must exist, or a command to find on PATH.
func Require(t testing.TB, what string) {
	t.Helper()
	err := available(what)
	if err == nil {
		return
	}
	install := "install it"
	if r, ok := requirements[what]; ok {
		install = r.install
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("sshtest: %s is required under CI: %v (%s)", what, err, install)
		return
	}
	t.Skipf("sshtest: %s is not available: %v (%s)", what, err, install)
}

var checked sync.Map // what -> error (nil when available); checks run a python each

func available(what string) error {
	if err, ok := checked.Load(what); ok {
		return asError(err)
	}
	var err error
	switch r, ok := requirements[what]; {
	case ok:
		err = r.check()
	case strings.HasPrefix(what, "/"):
		err = file(what)()
	default:
		err = command(what)()
	}
	checked.Store(what, err)
	return err
}

// asError turns a stored error back into one, nil included.
func asError(v any) error {
	err, _ := v.(error)
	return err
}

func file(path string) func() error {
	return func() error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not executable", path)
		}
		return nil
	}
}

func command(name string) func() error {
	return func() error {
		_, err := exec.LookPath(name)
		return err
	}
}

func pythonModule(module string) func() error {
	return func() error {
		if err := file(python)(); err != nil {
			return err
		}
		out, err := exec.Command(python, "-W", "ignore", "-c", "import "+module).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s cannot import %s: %v: %s", python, module, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}

func allOf(checks ...func() error) func() error {
	return func() error {
		for _, c := range checks {
			if err := c(); err != nil {
				return err
			}
		}
		return nil
	}
}
