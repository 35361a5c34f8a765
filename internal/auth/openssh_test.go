package auth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// TestOpenSSHHostbound: OpenSSH 8.9 and later offer
// publickey-hostbound@openssh.com, and PublicKey then signs the host key
// too. sshd checks the host key in the request against the one of the
// first key exchange and logs the method it got.
func TestOpenSSHHostbound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hostKey string // host key algorithm to negotiate
		user    func(*sshtest.Server) ssh.Signer
		certs   bool
	}{
		{"ed25519-host/ed25519-user", ssh.KeyAlgoED25519, func(s *sshtest.Server) ssh.Signer { return s.UserKey }, false},
		{"ecdsa-host/rsa-user", ssh.KeyAlgoECDSA256, func(*sshtest.Server) ssh.Signer { return rsaSigner() }, false},
		{"rsa-host/ecdsa-user", ssh.KeyAlgoRSASHA512, func(*sshtest.Server) ssh.Signer { return ecdsaSigner() }, false},
		// The host key is a certificate: the request carries the
		// certificate, as the key exchange did.
		{"ed25519-cert-host/ed25519-user", ssh.CertAlgoED25519v01, func(s *sshtest.Server) ssh.Signer { return s.UserKey }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := sshtest.StartOpenSSH(t, sshtest.Options{
				AuthorizedKeys:   []ssh.PublicKey{rsaSigner().PublicKey(), ecdsaSigner().PublicKey()},
				HostCertificates: tc.certs,
			})
			cfg := &transport.Config{HostKeyAlgorithms: []string{tc.hostKey}}
			if tc.certs {
				cfg.HostKeyCallback = func(k ssh.PublicKey) error {
					cert, ok := k.(*ssh.Certificate)
					if !ok || !bytes.Equal(cert.SignatureKey.Marshal(), s.HostCA.Marshal()) {
						return fmt.Errorf("host key %s is not a certificate from the test CA", k.Type())
					}
					return nil
				}
			}
			c := connect(t, s, cfg)
			if !Hostbound(c) {
				v, ok := c.Extension("publickey-hostbound@openssh.com")
				t.Fatalf("not host-bound: extension %q, %v; host key %v", v, ok, c.HostKey())
			}
			if got := c.HostKey().Type(); got != underlyingAlgorithm(tc.hostKey) && got != tc.hostKey &&
				!(tc.hostKey == ssh.KeyAlgoRSASHA512 && got == ssh.KeyAlgoRSA) {
				t.Fatalf("host key type %s, asked for %s", got, tc.hostKey)
			}
			if err := PublicKey(c, s.User, tc.user(s)); err != nil {
				t.Fatalf("%v\n%s", err, tail(s.Log(), 40))
			}
			loggedIn(t, c)
			log := s.Log()
			if !strings.Contains(log, "method publickey-hostbound-v00@openssh.com") {
				t.Fatalf("sshd did not log the host-bound method:\n%s", tail(log, 60))
			}
			if strings.Contains(log, "method publickey ") {
				t.Fatalf("sshd saw a plain publickey request:\n%s", tail(log, 60))
			}
			for _, l := range strings.Split(log, "\n") {
				if strings.Contains(l, "hostbound") || strings.Contains(l, "Accepted") {
					t.Log(l)
				}
			}
		})
	}
}

// TestOpenSSHTwoSteps: with "AuthenticationMethods publickey,password"
// the key is a partial success and the password completes the login.
func TestOpenSSHTwoSteps(t *testing.T) {
	t.Parallel()
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"AuthenticationMethods publickey,password"}})

	c := connect(t, s, nil)
	a := &Authenticator{Transport: c, User: s.User}
	fe := asFailure(t, a.None())
	if fe.PartialSuccess || !fe.Allows("publickey") || fe.Allows("password") {
		t.Fatalf("none: %+v", fe)
	}
	// The password alone is not allowed yet.
	fe = asFailure(t, a.Password(s.Password, nil))
	if fe.PartialSuccess {
		t.Fatalf("password first: %+v", fe)
	}
	fe = asFailure(t, a.PublicKey(s.UserKey))
	if !fe.PartialSuccess || fe.Method != "publickey" || len(fe.Methods) != 1 || !fe.Allows("password") {
		t.Fatalf("publickey: %+v", fe)
	}
	t.Log(fe)
	// A wrong password is a plain failure, and the key's step still
	// counts.
	fe = asFailure(t, a.Password("not the password", nil))
	if fe.PartialSuccess || !fe.Allows("password") {
		t.Fatalf("wrong password: %+v", fe)
	}
	if err := a.Password(s.Password, nil); err != nil {
		t.Fatalf("%v\n%s", err, tail(s.Log(), 40))
	}
	loggedIn(t, c)
}

// TestOpenSSHTwoStepsKeyboardInteractive: publickey, then PAM's password
// question (and its empty round) over keyboard-interactive.
func TestOpenSSHTwoStepsKeyboardInteractive(t *testing.T) {
	t.Parallel()
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"UsePAM yes", "AuthenticationMethods publickey,keyboard-interactive"}})
	c := connect(t, s, nil)
	a := &Authenticator{Transport: c, User: s.User}
	fe := asFailure(t, a.PublicKey(s.UserKey))
	if !fe.PartialSuccess || !fe.Allows("keyboard-interactive") {
		t.Fatalf("publickey: %+v", fe)
	}
	if err := a.KeyboardInteractive(PasswordAnswerer(s.Password)); err != nil {
		t.Fatalf("%v\n%s", err, tail(s.Log(), 40))
	}
	loggedIn(t, c)
}

// TestOpenSSHMaxAuthTries: sshd disconnects at MaxAuthTries failures;
// the error is the transport's *DisconnectError with sshd's reason.
func TestOpenSSHMaxAuthTries(t *testing.T) {
	t.Parallel()
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"MaxAuthTries 2"}})
	c := connect(t, s, nil)
	var err error
	var failures int
	for i := 0; i < 5; i++ {
		if err = PublicKey(c, s.User, newEd25519(t)); !errors.As(err, new(*FailureError)) {
			break
		}
		failures++
	}
	var de *transport.DisconnectError
	if !errors.As(err, &de) {
		t.Fatalf("after %d refused keys: %v (%T), want a *transport.DisconnectError", failures, err, err)
	}
	t.Logf("after %d refused keys: %v", failures, err)
	if !strings.Contains(de.Message, "Too many authentication failures") {
		t.Fatalf("disconnect message %q", de.Message)
	}
	if failures != 1 {
		t.Fatalf("%d failures before the disconnect, want 1 (sshd disconnects at the second)", failures)
	}
	// The connection is over: the next attempt fails the same way.
	if err := Password(c, s.User, s.Password, nil); !errors.As(err, &de) {
		t.Fatalf("after the disconnect: %v", err)
	}
}

// TestOpenSSHBanner: sshd's Banner reaches Authenticator.Banner, before
// the answer to the first request.
func TestOpenSSHBanner(t *testing.T) {
	t.Parallel()
	const text = "Authorized use only.\nSecond line: \x1b[1mbold\x1b[0m\n"
	path := filepath.Join(t.TempDir(), "banner")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"Banner " + path}})
	c := connect(t, s, nil)
	var banners []string
	a := &Authenticator{Transport: c, User: s.User, Banner: func(m string) { banners = append(banners, m) }}
	asFailure(t, a.None())
	if len(banners) != 1 || banners[0] != text {
		t.Fatalf("banners %q, want [%q]", banners, text)
	}
	if err := a.PublicKey(s.UserKey); err != nil {
		t.Fatal(err)
	}
	if len(banners) != 1 {
		t.Fatalf("banners %q", banners)
	}
}

// TestDropbearBanner: dropbear's -b banner, sent with the first answer.
func TestDropbearBanner(t *testing.T) {
	t.Parallel()
	const text = "dropbear says hello\r\n"
	path := filepath.Join(t.TempDir(), "banner")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sshtest.StartDropbear(t, sshtest.Options{Config: []string{"-b " + path}})
	c := connect(t, s, nil)
	var banners []string
	a := &Authenticator{Transport: c, User: s.User, Banner: func(m string) { banners = append(banners, m) }}
	if err := a.Password(s.Password, nil); err != nil {
		t.Fatalf("%v\n%s", err, tail(s.Log(), 40))
	}
	if len(banners) != 1 || banners[0] != text {
		t.Fatalf("banners %q, want [%q]", banners, text)
	}
	loggedIn(t, c)
}

// otherHostKey is a transport that reports a host key that is not the
// server's.
type otherHostKey struct {
	*transport.Conn
	key ssh.PublicKey
}

func (o otherHostKey) HostKey() ssh.PublicKey { return o.key }

// TestOpenSSHHostboundWrongKey: the host key in the request is checked;
// sshd drops a client that binds its signature to another host.
func TestOpenSSHHostboundWrongKey(t *testing.T) {
	t.Parallel()
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := connect(t, s, nil)
	err := PublicKey(otherHostKey{c, newEd25519(t).PublicKey()}, s.User, s.UserKey)
	if err == nil || errors.As(err, new(*FailureError)) {
		t.Fatalf("got %v, want the connection closed", err)
	}
	t.Log(err)
	if !strings.Contains(s.Log(), "packet contained wrong host key") {
		t.Fatalf("sshd did not complain about the host key:\n%s", tail(s.Log(), 30))
	}
}
