package amiko

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestPreferredAlgorithms: the lists replace amiko's, in order; a legacy
// algorithm named there is the explicit opt-in it needs; a name amiko
// does not implement is an error.
func TestPreferredAlgorithms(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{
		"Ciphers aes128-cbc,aes256-ctr,aes128-gcm@openssh.com",
		"MACs hmac-sha1,hmac-sha2-512,hmac-sha2-256",
		"KexAlgorithms diffie-hellman-group14-sha1,diffie-hellman-group16-sha512,curve25519-sha256",
	}})
	connect := func(p PreferredAlgorithms) (Algorithms, error) {
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey,
			DisableAgent: true, DisableKeyDiscovery: true, PreferredAlgorithms: p})
		if err != nil {
			return Algorithms{}, err
		}
		defer c.Close()
		info, _ := c.ConnInfo()
		return info.Algorithms, nil
	}
	// Order: the first of ours the server has.
	a, err := connect(PreferredAlgorithms{Ciphers: []string{"aes256-ctr", "aes128-gcm@openssh.com"}, MACs: []string{"hmac-sha2-256", "hmac-sha2-512"},
		Kex: []string{"diffie-hellman-group16-sha512", "curve25519-sha256"}})
	if err != nil || a.CipherOut != "aes256-ctr" || a.MACOut != "hmac-sha2-256" || a.Kex != "diffie-hellman-group16-sha512" {
		t.Fatalf("in our order: %+v %v", a, err)
	}
	// Legacy, opted into.
	a, err = connect(PreferredAlgorithms{Ciphers: []string{"aes128-cbc"}, MACs: []string{"hmac-sha1"}, Kex: []string{"diffie-hellman-group14-sha1"}})
	if err != nil || a.CipherOut != "aes128-cbc" || a.MACOut != "hmac-sha1" || a.Kex != "diffie-hellman-group14-sha1" {
		t.Fatalf("legacy opt-in: %+v %v", a, err)
	}
	// Not by default: amiko's defaults share only aes256-ctr and
	// aes128-gcm with this server.
	a, err = connect(PreferredAlgorithms{})
	if err != nil || a.CipherOut == "aes128-cbc" || a.MACOut == "hmac-sha1" || strings.HasSuffix(a.Kex, "sha1") {
		t.Fatalf("defaults: %+v %v", a, err)
	}
	_, err = connect(PreferredAlgorithms{Ciphers: []string{"rot13"}})
	if err == nil || !errors.Is(err, ErrSSH) || !strings.Contains(err.Error(), "rot13") {
		t.Fatalf("an unknown cipher: %v", err)
	}
}

// TestPreferredPublicKeyAlgorithms: PublicKeys restricts the user key
// algorithms: an RSA key signs with the one rsa-sha2 listed, and a key
// whose type is not listed is skipped (and noted), not offered.
func TestPreferredPublicKeyAlgorithms(t *testing.T) {
	home := isolate(t)
	key := filepath.Join(home, "rsa")
	pub := keygen(t, key, "-t", "rsa", "-b", "2048")
	s := sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{pub}})
	o := keyFileOpts(t, s, key)
	o.PreferredAlgorithms.PublicKeys = []string{"rsa-sha2-256", "ssh-ed25519"}
	if err := connectOnce(t, s, o); err != nil {
		t.Fatal(err)
	}
	o = keyFileOpts(t, s, key)
	o.PreferredAlgorithms.PublicKeys = []string{"ssh-ed25519"}
	err := connectOnce(t, s, o)
	var ae *AuthenticationError
	if !errors.As(err, &ae) || len(ae.Attempts) == 0 || !strings.Contains(ae.Attempts[0].Err.Error(), "allowed algorithm") {
		t.Fatalf("an RSA key with only ssh-ed25519 allowed: %v", err)
	}
}

// TestPreferredAlgorithmsAreCopied: the lists a connection keeps (and
// offers again at every rekey) are its own, not the caller's slices,
// which the caller may reuse once Connect returned.
func TestPreferredAlgorithmsAreCopied(t *testing.T) {
	kex := []string{"curve25519-sha256"}
	ciphers := []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}
	got, err := PreferredAlgorithms{Kex: kex, Ciphers: ciphers}.lists()
	if err != nil {
		t.Fatal(err)
	}
	kex[0], ciphers[1] = "changed", "changed"
	if got.Kex[0] != "curve25519-sha256" || got.Ciphers[1] != "aes256-gcm@openssh.com" {
		t.Fatalf("the lists follow the caller's slices: %v %v", got.Kex, got.Ciphers)
	}
}
