package sshtest

import (
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestConfig checks that Options.Config reaches each server the way
// Options documents: each case narrows the ciphers offered to one, or
// turns password authentication off.
func TestConfig(t *testing.T) {
	cases := []struct {
		start  func(testing.TB, Options) *Server
		name   string
		config []string
		check  func(t *testing.T, s *Server)
	}{
		// sshd keeps the first value it reads: the harness's
		// "PasswordAuthentication yes" must not win over the test's.
		{StartOpenSSH, "openssh", []string{"PasswordAuthentication no", "Ciphers aes256-ctr"}, func(t *testing.T, s *Server) {
			offersOnly(t, s, "aes256-ctr")
			refusesPassword(t, s)
		}},
		{StartOpenSSH, "openssh Match", []string{"Match User nobody", "  PasswordAuthentication no"}, func(t *testing.T, s *Server) {
			if c, err := tryDial(s, ssh.Password(s.Password)); err != nil {
				t.Errorf("password refused for amikotest: %v", err)
			} else {
				c.Close()
			}
		}},
		// With PAM, sshd asks for the password by keyboard-interactive.
		{StartOpenSSH, "openssh UsePAM", []string{"UsePAM yes"}, func(t *testing.T, s *Server) {
			if c, err := tryDial(s, answerPassword(s.Password)); err != nil {
				t.Errorf("keyboard-interactive: %v", err)
			} else {
				c.Close()
			}
		}},
		{StartDropbear, "dropbear", []string{"-s"}, refusesPassword},
		{StartParamiko, "paramiko", []string{"ciphers aes256-ctr"}, func(t *testing.T, s *Server) { offersOnly(t, s, "aes256-ctr") }},
		{StartAsyncSSH, "asyncssh", []string{"encryption_algs aes256-ctr"}, func(t *testing.T, s *Server) { offersOnly(t, s, "aes256-ctr") }},
		{func(t testing.TB, _ Options) *Server {
			return StartXSSH(t, XSSHOptions{Config: func(c *ssh.ServerConfig) {
				c.Ciphers = []string{"aes256-ctr"}
				c.PasswordCallback = nil
			}})
		}, "xssh", nil, func(t *testing.T, s *Server) {
			offersOnly(t, s, "aes256-ctr")
			refusesPassword(t, s)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.start(t, Options{Config: tc.config})
			tc.check(t, s)
			// Whatever was changed, the key still logs in.
			if out, _, err := run(t, dial(t, s), "echo hello", ""); err != nil || out != "hello\n" {
				t.Errorf("echo hello: %q, %v", out, err)
			}
		})
	}
}

func offersOnly(t *testing.T, s *Server, cipher string) {
	t.Helper()
	o, err := s.Offered()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cipher}
	if !slices.Equal(o.CiphersClientServer, want) || !slices.Equal(o.CiphersServerClient, want) {
		t.Errorf("offers ciphers %v / %v, want only %s", o.CiphersClientServer, o.CiphersServerClient, cipher)
	}
}

func refusesPassword(t *testing.T, s *Server) {
	t.Helper()
	if c, err := tryDial(s, ssh.Password(s.Password)); err == nil {
		c.Close()
		t.Error("password accepted")
	}
}

// TestBadConfig checks that a line sshd rejects fails the test at start,
// with sshd's complaint, rather than as a handshake failure later.
func TestBadConfig(t *testing.T) {
	Require(t, "openssh")
	Require(t, "root")
	ft := &fakeTB{TB: t}
	runAsTest(func() { StartOpenSSH(ft, Options{Config: []string{"NoSuchKeyword yes"}}) })
	if !ft.fatal || !contains(ft.msg, "NoSuchKeyword") {
		t.Errorf("fatal %v, message %q", ft.fatal, ft.msg)
	}
}
