package knownhosts

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// UnknownHostError reports a host of which no known_hosts line knows a
// key that could vouch for the presented one. The missing host key
// policy decides what happens next (paramiko's RejectPolicy rejects,
// AutoAddPolicy adds Key).
type UnknownHostError struct {
	Host string        // as looked up: "name" or "[name]:port"
	Key  ssh.PublicKey // the presented key; Add stores a certificate's plain key
	// Authorities are CAs trusted for the host that did not sign Key
	// (Key is a plain key, or a certificate from another CA). OpenSSH
	// then treats the host as new, and so does Check.
	Authorities []ssh.PublicKey
}

func (e *UnknownHostError) Error() string {
	msg := fmt.Sprintf("knownhosts: host %s is not known; it presented %s", e.Host, describeKey(e.Key))
	if len(e.Authorities) > 0 {
		msg += " (no certificate authority trusted for it signed this key)"
	}
	return msg
}

// KeyMismatchError reports that known_hosts lists keys for the host, but
// not the one it presented: the host key changed, or someone is in the
// middle. Known holds every listed key, of any type; Where names the
// line of each.
type KeyMismatchError struct {
	Host      string
	Presented ssh.PublicKey
	Known     []ssh.PublicKey
	Where     []Match
}

func (e *KeyMismatchError) Error() string {
	known := make([]string, len(e.Known))
	for i, k := range e.Known {
		known[i] = describeKey(k)
		if i < len(e.Where) {
			known[i] += " (" + e.Where[i].String() + ")"
		}
	}
	return fmt.Sprintf("knownhosts: host key for %s does not match: it presented %s; known_hosts has %s",
		e.Host, describeKey(e.Presented), strings.Join(known, ", "))
}

// RevokedError reports a presented key that a @revoked line lists for the
// host: the key itself, the key inside a certificate, or the CA that
// signed the certificate.
type RevokedError struct {
	Host      string
	Presented ssh.PublicKey
	Revoked   ssh.PublicKey // the key the @revoked line names
	Where     Match
}

func (e *RevokedError) Error() string {
	what := "key"
	if isCert(e.Presented) && !sameKey(e.Presented, e.Revoked) {
		what = "certificate authority"
	}
	return fmt.Sprintf("knownhosts: host %s presented %s whose %s %s is revoked (%s)",
		e.Host, describeKey(e.Presented), what, ssh.FingerprintSHA256(e.Revoked), e.Where)
}

// CertificateError reports a host certificate signed by a CA trusted for
// the host that is nonetheless not valid for it: expired or not yet
// valid, issued for other names, a user certificate, with critical
// options, or signed with an algorithm OpenSSH does not accept for CAs.
//
// OpenSSH in this case forgets the certificate and looks up the plain
// key, and so does Check: if known_hosts lists that key the host is
// accepted. Otherwise OpenSSH would treat the host as new, and offer to
// trust (or with StrictHostKeyChecking=accept-new silently trust) a
// host that holds a certificate for another name from the same CA;
// Check reports this error instead, so no missing host key policy adds
// the key.
type CertificateError struct {
	Host      string
	Cert      *ssh.Certificate
	Authority Match // the @cert-authority line of the signing CA
	Reason    string
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("knownhosts: host certificate of %s (key ID %q, signed by the CA at %s) is not valid: %s",
		e.Host, e.Cert.KeyId, e.Authority, e.Reason)
}

func isCert(k ssh.PublicKey) bool {
	_, ok := k.(*ssh.Certificate)
	return ok
}

// describeKey is "<type> <SHA256 fingerprint>", for a certificate the
// certificate type and its plain key's fingerprint, as ssh prints them.
func describeKey(k ssh.PublicKey) string {
	if k == nil {
		return "no key"
	}
	if c, ok := k.(*ssh.Certificate); ok {
		return fmt.Sprintf("%s certificate for %s key %s", c.Type(), c.Key.Type(), ssh.FingerprintSHA256(c.Key))
	}
	return k.Type() + " key " + ssh.FingerprintSHA256(k)
}
