package knownhosts

import (
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestCheckHostCertificates(t *testing.T) {
	ca := newKey(t, "ed25519")
	rsaCA := newKey(t, "rsa")
	unknownCA := newKey(t, "ecdsa")
	revokedCA := newKey(t, "ed25519")
	hostKey := newKey(t, "ecdsa")
	knownHostKey := newKey(t, "ed25519")
	revokedHostKey := newKey(t, "ed25519")

	f := mustParse(t, strings.Join([]string{
		"@cert-authority *.example,127.0.0.1 " + ca.line,
		"@cert-authority [port.example]:2222 " + ca.line,
		"@cert-authority rsa.example " + rsaCA.line,
		"@cert-authority revoked.example " + revokedCA.line,
		"@revoked * " + revokedCA.line,
		"@revoked * " + revokedHostKey.line,
		"known.example " + knownHostKey.line,
		"other-key.example " + knownHostKey.line,
		"",
	}, "\n"))

	const valid = "-5m:+1h"
	type want int
	const (
		ok want = iota
		certErr
		unknown
		revoked
		mismatch
	)
	tests := []struct {
		name   string
		host   string
		ca     testKey
		key    testKey
		opts   []string
		want   want
		reason string
	}{
		{name: "valid", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-n", "host.example,127.0.0.1", "-V", valid}},
		{name: "valid for the IP", host: "127.0.0.1", ca: ca, key: hostKey, opts: []string{"-h", "-n", "host.example,127.0.0.1", "-V", valid}},
		{name: "valid forever", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-n", "host.example"}},
		{name: "principal without the port", host: "[port.example]:2222", ca: ca, key: hostKey, opts: []string{"-h", "-n", "port.example", "-V", valid}},
		{name: "CA not trusted on this port", host: "[host.example]:2222", ca: ca, key: hostKey, opts: []string{"-h", "-n", "host.example", "-V", valid}, want: unknown},
		{name: "expired", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-n", "host.example", "-V", "-2h:-1h"}, want: certErr, reason: "expired"},
		{name: "not yet valid", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-n", "host.example", "-V", "+1h:+2h"}, want: certErr, reason: "not yet valid"},
		{name: "wrong principal", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-n", "other.example", "-V", valid}, want: certErr, reason: "not a listed principal"},
		{name: "principal is a pattern", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-n", "*.example", "-V", valid}, want: certErr, reason: "not a listed principal"},
		{name: "no principals", host: "host.example", ca: ca, key: hostKey, opts: []string{"-h", "-V", valid}, want: certErr, reason: "lacks principal list"},
		{name: "user certificate", host: "host.example", ca: ca, key: hostKey, opts: []string{"-n", "host.example", "-V", valid}, want: certErr, reason: "not a host certificate"},
		{name: "unknown CA", host: "host.example", ca: unknownCA, key: hostKey, opts: []string{"-h", "-n", "host.example", "-V", valid}, want: unknown},
		{name: "CA revoked", host: "revoked.example", ca: revokedCA, key: hostKey, opts: []string{"-h", "-n", "revoked.example", "-V", valid}, want: revoked},
		{name: "host key revoked", host: "host.example", ca: ca, key: revokedHostKey, opts: []string{"-h", "-n", "host.example", "-V", valid}, want: revoked},
		{name: "RSA CA, rsa-sha2-512", host: "rsa.example", ca: rsaCA, key: hostKey, opts: []string{"-h", "-n", "rsa.example", "-V", valid, "-t", "rsa-sha2-512"}},
		{name: "RSA CA, SHA-1", host: "rsa.example", ca: rsaCA, key: hostKey, opts: []string{"-h", "-n", "rsa.example", "-V", valid, "-t", "ssh-rsa"}, want: certErr, reason: "disallowed algorithm ssh-rsa"},
		// A certificate that fails is looked up as its plain key, as
		// OpenSSH does.
		{name: "expired, plain key known", host: "known.example", ca: unknownCA, key: knownHostKey, opts: []string{"-h", "-n", "known.example", "-V", "-2h:-1h"}},
		{name: "untrusted CA, other key known", host: "other-key.example", ca: unknownCA, key: hostKey, opts: []string{"-h", "-n", "other-key.example", "-V", valid}, want: mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := signHostCert(t, tt.ca, tt.key, tt.opts...)
			err := Check(tt.host, cert, f)
			var (
				ce *CertificateError
				ue *UnknownHostError
				re *RevokedError
				me *KeyMismatchError
			)
			switch tt.want {
			case ok:
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
			case certErr:
				if !errors.As(err, &ce) {
					t.Fatalf("Check = %v, want a CertificateError", err)
				}
				if !strings.Contains(ce.Reason, tt.reason) || ce.Cert != cert || ce.Authority.Line == 0 {
					t.Errorf("CertificateError %+v, want reason %q", ce, tt.reason)
				}
			case unknown:
				if !errors.As(err, &ue) {
					t.Fatalf("Check = %v, want an UnknownHostError", err)
				}
				if ue.Key != cert {
					t.Errorf("UnknownHostError.Key is not the certificate")
				}
			case revoked:
				if !errors.As(err, &re) {
					t.Fatalf("Check = %v, want a RevokedError", err)
				}
			case mismatch:
				if !errors.As(err, &me) {
					t.Fatalf("Check = %v, want a KeyMismatchError", err)
				}
			}
			if err != nil {
				t.Log(err)
			}
		})
	}
}

// TestCheckHostCertificateForged covers what ssh-keygen will not make: a
// host certificate with critical options, and one whose signature does
// not verify.
func TestCheckHostCertificateForged(t *testing.T) {
	caKey := newKey(t, "ed25519")
	hostKey := newKey(t, "ed25519")
	pem, err := os.ReadFile(caKey.path)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, "@cert-authority host.example "+caKey.line+"\n")
	sign := func(opts map[string]string) *ssh.Certificate {
		cert := &ssh.Certificate{
			Key:             hostKey.pub,
			CertType:        ssh.HostCert,
			KeyId:           "forged",
			ValidPrincipals: []string{"host.example"},
			ValidBefore:     ssh.CertTimeInfinity,
			Permissions:     ssh.Permissions{CriticalOptions: opts},
		}
		if err := cert.SignCert(rand.Reader, signer); err != nil {
			t.Fatal(err)
		}
		return cert
	}
	if err := Check("host.example", sign(nil), f); err != nil {
		t.Fatalf("a certificate signed in Go: %v", err)
	}
	var ce *CertificateError
	if err := Check("host.example", sign(map[string]string{"force-command": "true"}), f); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "critical options") {
		t.Errorf("critical options: %v", err)
	}
	forged := sign(nil)
	forged.ValidPrincipals = []string{"host.example", "victim.example"}
	if err := Check("host.example", forged, f); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "signature") {
		t.Errorf("altered certificate: %v", err)
	}
}

func TestCheckHostCertificateAt(t *testing.T) {
	// The boundaries of the validity period, at a fixed time.
	caKey := newKey(t, "ed25519")
	hostKey := newKey(t, "ed25519")
	cert := signHostCert(t, caKey, hostKey, "-h", "-n", "host.example", "-V", "20300101000000:20300102000000")
	f := mustParse(t, "@cert-authority host.example "+caKey.line+"\n")
	after := time.Unix(int64(cert.ValidAfter), 0)
	before := time.Unix(int64(cert.ValidBefore), 0)
	files := []*File{f}
	for _, tt := range []struct {
		at time.Time
		ok bool
	}{
		{after.Add(-time.Second), false},
		{after, true},
		{before.Add(-time.Second), true},
		{before, false},
	} {
		if err := check("host.example", cert, tt.at, files); (err == nil) != tt.ok {
			t.Errorf("at %v: %v", tt.at.UTC(), err)
		}
	}
}
