package amiko

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// attemptSays reports whether an *AuthenticationError noted an attempt
// whose error contains text.
func attemptSays(err error, text string) bool {
	var ae *AuthenticationError
	if !errors.As(err, &ae) {
		return false
	}
	for _, a := range ae.Attempts {
		if a.Err != nil && strings.Contains(a.Err.Error(), text) {
			return true
		}
	}
	return false
}

// TestLegacyRSAOptIn: against an sshd that accepts only ssh-rsa (SHA-1)
// signatures, as old servers and network gear do, an RSA key is not
// offered by default, and works once PreferredAlgorithms.PublicKeys lists
// ssh-rsa (paramiko's disabled_algorithms, OpenSSH's
// PubkeyAcceptedAlgorithms +ssh-rsa). Before, there was no way to.
func TestLegacyRSAOptIn(t *testing.T) {
	home := isolate(t)
	keyFile := filepath.Join(home, "rsa_key")
	pub := keygen(t, keyFile, "-t", "rsa")
	s := sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{pub},
		Config: []string{"PubkeyAcceptedAlgorithms ssh-rsa"}})
	opts := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{keyFile}}
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", opts)
	if !errors.As(err, new(*AuthenticationError)) {
		t.Fatalf("by default: %v, want an *AuthenticationError", err)
	}
	opts.PreferredAlgorithms.PublicKeys = []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}
	if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil {
		t.Fatalf("with ssh-rsa listed: %v\n%s", err, s.Log())
	}
	c.Close()
	if !strings.Contains(s.Log(), "Accepted publickey") {
		t.Fatalf("sshd did not log the key:\n%s", s.Log())
	}
}

// TestDSAKeysByType: a DSA key is skipped for its type, not its file
// name: a given file holding one is noted and not offered unless
// PreferredAlgorithms.PublicKeys lists ssh-dss, and an Ed25519 key that
// happens to be called id_dsa is used (before, any file named id_dsa was
// skipped, even one given explicitly).
func TestDSAKeysByType(t *testing.T) {
	home := isolate(t)
	dsaFile := filepath.Join(home, "dsa_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "dsa", "-N", "", "-f", filepath.Join(home, "probe")).CombinedOutput(); err != nil {
		t.Skipf("this OpenSSH has no DSA (9.8 and later may not): %v %s", err, out)
	}
	dsaPub := keygen(t, dsaFile, "-t", "dsa", "-m", "PEM") // x/crypto reads DSA keys only from PEM
	edFile := filepath.Join(home, "id_dsa")
	edPub := keygen(t, edFile, "-t", "ed25519")
	s := sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{dsaPub, edPub},
		Config: []string{"PubkeyAcceptedAlgorithms +ssh-dss"}})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	opts := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{dsaFile}}
	if err := c.Connect(t.Context(), "127.0.0.1", opts); !attemptSays(err, "legacy") {
		t.Fatalf("a DSA key by default: %v, want it noted as legacy", err)
	}
	opts.PreferredAlgorithms.PublicKeys = []string{"ssh-dss"}
	if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil {
		t.Fatalf("a DSA key with ssh-dss listed: %v", err)
	}
	c.Close()
	opts = &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{edFile}}
	if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil {
		t.Fatalf("an Ed25519 key named id_dsa: %v", err)
	}
	c.Close()
}
