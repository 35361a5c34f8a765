package knownhosts

import (
	"bytes"
	"errors"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// Check verifies the key a host presented (a plain key or an
// *ssh.Certificate) against known_hosts files, searched together in the
// order given: system files, then the user's, as paramiko checks its
// system host keys and then its own. host is the name as the client
// sees it ("name" or "[name]:port", see HostPort). The answer is
// OpenSSH's (sshconnect.c's check_host_key), but for the fourth case:
//
//   - the key, the plain key in a certificate, or the certificate's CA is
//     listed @revoked for the host: *RevokedError;
//   - a certificate signed by a CA listed @cert-authority for the host,
//     of host type, valid now and naming the host (without port) among
//     its principals: nil;
//   - the key (for a certificate, the plain key inside it) is listed for
//     the host: nil;
//   - a certificate from a CA trusted for the host, but not valid for it:
//     *CertificateError (where OpenSSH would call the host new, see
//     CertificateError);
//   - the host has keys, but not this one (another key, or keys of other
//     types only): *KeyMismatchError;
//   - otherwise: *UnknownHostError.
//
// Nil Files are skipped, so optional files can be passed as they are.
func Check(host string, key ssh.PublicKey, files ...*File) error {
	return check(host, key, time.Now(), files)
}

func check(host string, key ssh.PublicKey, now time.Time, files []*File) error {
	if key == nil {
		return errors.New("knownhosts: no host key to check")
	}
	host = lowerASCII(host)
	r := lookupAll(host, files)
	cert, _ := key.(*ssh.Certificate)

	for _, m := range r.Matches {
		if m.Marker != MarkerRevoked {
			continue
		}
		if sameKey(key, m.Key) || (cert != nil && sameKey(cert.SignatureKey, m.Key)) {
			return &RevokedError{Host: host, Presented: key, Revoked: m.Key, Where: m}
		}
	}

	var certErr error
	if cert != nil {
		for _, m := range r.Matches {
			if m.Marker != MarkerCertAuthority || !sameKey(cert.SignatureKey, m.Key) {
				continue
			}
			// As OpenSSH, the first trusted CA that signed it decides.
			reason := checkHostCert(cert, hostName(host), now)
			if reason == "" {
				return nil
			}
			certErr = &CertificateError{Host: host, Cert: cert, Authority: m, Reason: reason}
			break
		}
	}

	// A certificate that did not pass is looked up as its plain key, as
	// OpenSSH does after "No matching CA found. Retry with plain key".
	presented := plainKey(key).Marshal()
	var mismatch KeyMismatchError
	for _, m := range r.Matches {
		if m.Marker != MarkerNone {
			continue
		}
		if bytes.Equal(m.Key.Marshal(), presented) {
			return nil
		}
		mismatch.Known = append(mismatch.Known, m.Key)
		mismatch.Where = append(mismatch.Where, m)
	}
	switch {
	case certErr != nil:
		return certErr
	case len(mismatch.Known) > 0:
		mismatch.Host, mismatch.Presented = host, key
		return &mismatch
	}
	return &UnknownHostError{Host: host, Key: key, Authorities: r.Authorities}
}

// KnownKeyTypes returns the key types (as ssh.PublicKey.Type names them)
// that known_hosts can vouch for, for the transport to ask for them
// first: a server with several host keys presents the one its first
// matching algorithm names, and a client that knows the host's ECDSA key
// must not let it present Ed25519 (golang/go#29286). The host's own key
// types come first, in file order, then, if a @cert-authority line
// matches, every certificate type (a CA may certify a key of any type),
// as OpenSSH's order_hostkeyalgs does. Keys listed @revoked for the host
// are left out. The result is empty for an unknown host.
func KnownKeyTypes(host string, files ...*File) []string {
	r := lookupAll(host, files)
	var types []string
	for _, k := range r.Keys {
		revoked := slices.ContainsFunc(r.Revoked, func(rk ssh.PublicKey) bool { return sameKey(rk, k) })
		if !revoked && !slices.Contains(types, k.Type()) {
			types = append(types, k.Type())
		}
	}
	if len(r.Authorities) > 0 {
		for _, t := range certKeyTypes {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	return types
}
