package sshtest

import (
	_ "embed"
	"os"
	"path/filepath"
	"testing"
)

//go:embed x11_client.py
var x11ClientScript []byte

// x11Config is the sshd_config of Options.X11. SetEnv reaches the xauth
// sshd runs for the session as well as the command (sshd runs it in the
// session's environment), so both use the file in the server's directory.
// The file exists from the start: xauth would otherwise tell the
// session's stderr that it does not.
func x11Config(s *Server, acct account) ([]string, error) {
	path := filepath.Join(s.Dir, "Xauthority")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return nil, err
	}
	if err := acct.giveTo(path, 0o600); err != nil {
		return nil, err
	}
	return []string{
		"X11Forwarding yes",
		"X11UseLocalhost yes",
		"SetEnv XAUTHORITY=" + path,
	}, nil
}

// X11Client returns a command line for s that runs an X client: it
// connects to the session's DISPLAY with the MIT-MAGIC-COOKIE-1 that
// `xauth list $DISPLAY` gives, sends the X11 connection setup, and
// prints "cookie: <hex>" (the cookie it sent) and then "answer: " with
// what the X server answered, up to its end. Arguments go after the
// command line: a hex cookie to send instead, preceded by -B for a
// setup with the most significant byte first. It needs the Python 3 of
// the machine, and a server started with Options.X11.
func (s *Server) X11Client(t testing.TB) string {
	t.Helper()
	path := filepath.Join(s.Dir, "x11_client.py")
	if err := os.WriteFile(path, x11ClientScript, 0o644); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return python + " " + path
}
