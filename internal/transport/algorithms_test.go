package transport

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

func TestApplyListSyntax(t *testing.T) {
	base := []string{"aes128-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com"}
	for _, tc := range []struct {
		spec string
		want []string
		err  bool
	}{
		{"", base, false},
		{"aes256-gcm@openssh.com", []string{"aes256-gcm@openssh.com"}, false},
		{"+3des-cbc", []string{"aes128-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com", "3des-cbc"}, false},
		{"+aes128-ctr", []string{"aes256-ctr", "chacha20-poly1305@openssh.com", "aes128-ctr"}, false},
		{"^aes256-gcm@openssh.com,3des-cbc", []string{"aes256-gcm@openssh.com", "3des-cbc", "aes128-ctr", "aes256-ctr", "chacha20-poly1305@openssh.com"}, false},
		{"-aes*-ctr", []string{"chacha20-poly1305@openssh.com"}, false},
		{"-chacha20-poly1305@openssh.com,aes1?8-ctr", []string{"aes256-ctr"}, false},
		{"-nonexistent", base, false},
		{"+rot13", nil, true},
		{"aes128-ctr,typo", nil, true},
	} {
		got, err := ApplyListSyntax(CategoryCipher, base, tc.spec)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, %v; want %v (error %v)", tc.spec, got, err, tc.want, tc.err)
		}
	}
}

func TestRemoveDisabled(t *testing.T) {
	// paramiko's disabled_algorithms, e.g. {"kex": ["diffie-hellman-group*"]}.
	got := RemoveDisabled(DefaultKexAlgorithms, []string{"diffie-hellman-group*", "mlkem768x25519-sha256"})
	if slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, "diffie-hellman") || n == "mlkem768x25519-sha256" }) {
		t.Fatalf("disabled algorithms left in %v", got)
	}
	if got[0] != "curve25519-sha256" {
		t.Fatalf("order lost: %v", got)
	}
}

func TestEveryListedAlgorithmIsImplemented(t *testing.T) {
	for _, l := range []struct {
		cat   Category
		names []string
	}{
		{CategoryKex, slices.Concat(DefaultKexAlgorithms, LegacyKexAlgorithms)},
		{CategoryHostKey, slices.Concat(DefaultHostKeyAlgorithms, LegacyHostKeyAlgorithms)},
		{CategoryCipher, slices.Concat(DefaultCiphers, LegacyCiphers)},
		{CategoryMAC, slices.Concat(DefaultMACs, LegacyMACs)},
		{CategoryCompression, CompressedCompressions},
	} {
		for _, n := range l.names {
			if !Supported(l.cat, n) {
				t.Errorf("%s %q is listed but not implemented", l.cat, n)
			}
		}
	}
	// Legacy algorithms stay out of the defaults.
	for _, n := range slices.Concat(LegacyKexAlgorithms, LegacyHostKeyAlgorithms, LegacyCiphers, LegacyMACs) {
		if slices.Contains(slices.Concat(DefaultKexAlgorithms, DefaultHostKeyAlgorithms, DefaultCiphers, DefaultMACs), n) {
			t.Errorf("legacy %q is on by default", n)
		}
	}
}

func TestSoftwareVersion(t *testing.T) {
	for in, want := range map[string]string{
		"amiko_0.1":                              "amiko_0.1",
		"amiko_v0.0.0-20261124031100-abcdef0123": "amiko_v0.0.0.20261124031100.abcdef0123",
		"amiko 1.0\r\n":                          "amiko.1.0",
	} {
		if got := SoftwareVersion(in); got != want {
			t.Errorf("SoftwareVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// sha1Signer signs with ssh-rsa whatever algorithm it is asked for: a
// server that downgrades the host key signature.
type sha1Signer struct{ ssh.AlgorithmSigner }

func (s sha1Signer) SignWithAlgorithm(r io.Reader, data []byte, _ string) (*ssh.Signature, error) {
	return s.AlgorithmSigner.SignWithAlgorithm(r, data, ssh.KeyAlgoRSA)
}

// TestHostKeySignatureDowngradeRejected: after rsa-sha2-512 is agreed, a
// signature made with ssh-rsa (SHA-1) is refused even though it verifies.
func TestHostKeySignatureDowngradeRejected(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(key)
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{"ed25519"}, Config: func(c *ssh.ServerConfig) {
		c.AddHostKey(sha1Signer{signer.(ssh.AlgorithmSigner)})
	}})
	_, err = Client(t.Context(), dialT(t, s.Addr), &Config{
		HostKeyAlgorithms: []string{ssh.KeyAlgoRSASHA512},
		HostKeyCallback:   func(ssh.PublicKey) error { return nil },
	})
	var he *HostKeyError
	if !errors.As(err, &he) || !strings.Contains(he.Reason, "signed with ssh-rsa after rsa-sha2-512") {
		t.Fatalf("got %v, want a host key error for the downgrade", err)
	}
}
