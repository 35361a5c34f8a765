package auth

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// PublicKey authenticates user with signer (RFC 4252 section 7), signing
// right away rather than asking first whether the key is acceptable: one
// round trip instead of two for the key that works. It returns nil on
// success and a *FailureError when the server refuses.
//
// When the server offers publickey-hostbound@openssh.com version "0" in
// EXT_INFO (OpenSSH 8.9 and later) and the transport has a host key, the
// request is publickey-hostbound-v00@openssh.com (OpenSSH PROTOCOL
// section 3.2): the server's host key is part of the request and of the
// signed data, so the signature is good for this server only, as OpenSSH's
// ssh does. See Hostbound.
func PublicKey(t Transport, user string, signer ssh.Signer) error {
	return (&Authenticator{Transport: t, User: user}).PublicKey(signer)
}

// PublicKey authenticates with a key; see the function PublicKey.
func (a *Authenticator) PublicKey(signer ssh.Signer) error {
	t := a.Transport
	alg, err := SignatureAlgorithm(t, signer)
	if err != nil {
		return err
	}
	pub := signer.PublicKey()
	method, hostKey := methodPublicKey, []byte(nil)
	if hk := hostboundKey(t); hk != nil {
		method, hostKey = methodPublicKeyHostbound, hk.Marshal()
	}
	req := appendRequestHeader(nil, a.User, method)
	req = wire.AppendBool(req, true)
	req = wire.AppendText(req, alg)
	req = wire.AppendString(req, pub.Marshal())
	if hostKey != nil {
		req = wire.AppendString(req, hostKey)
	}

	// The signed data is the session id followed by the request so far.
	data := wire.AppendString(nil, t.SessionID())
	data = append(data, req...)
	sig, err := sign(signer, alg, data)
	if err != nil {
		return fmt.Errorf("ssh: signing with %s key %s: %w", pub.Type(), ssh.FingerprintSHA256(pub), err)
	}
	req = wire.AppendString(req, ssh.Marshal(sig))
	if err := t.WritePacket(req); err != nil {
		return err
	}
	p, err := a.readPacket()
	if err != nil {
		return err
	}
	return a.result(methodPublicKey, p)
}

// PublicKeyQuery asks whether the server would accept pub for user with
// the public key algorithm alg, without signing (RFC 4252 section 7, the
// request without a signature): the server answers SSH_MSG_USERAUTH_PK_OK
// or FAILURE. It returns true and a nil error for PK_OK, false and a
// *FailureError for FAILURE. An empty alg picks the algorithm as
// SignatureAlgorithm would for a key that can sign with any.
//
// The query is a plain publickey request even where PublicKey would use
// the host-bound form, as OpenSSH's ssh sends it: nothing is signed, so
// there is nothing to bind.
func PublicKeyQuery(t Transport, user string, pub ssh.PublicKey, alg string) (ok bool, err error) {
	return (&Authenticator{Transport: t, User: user}).PublicKeyQuery(pub, alg)
}

// PublicKeyQuery asks whether the server would accept a key; see the
// function PublicKeyQuery.
func (a *Authenticator) PublicKeyQuery(pub ssh.PublicKey, alg string) (ok bool, err error) {
	if alg == "" {
		if alg, err = keyAlgorithm(a.Transport, pub.Type()); err != nil {
			return false, err
		}
	}
	blob := pub.Marshal()
	req := appendRequestHeader(nil, a.User, methodPublicKey)
	req = wire.AppendBool(req, false)
	req = wire.AppendText(req, alg)
	req = wire.AppendString(req, blob)
	if err := a.Transport.WritePacket(req); err != nil {
		return false, err
	}
	p, err := a.readPacket()
	if err != nil {
		return false, err
	}
	if p[0] != wire.MsgUserauthPKOK {
		if p[0] == wire.MsgUserauthSuccess {
			// A query cannot log anyone in.
			return false, unexpected(methodPublicKey, p[0])
		}
		return false, a.result(methodPublicKey, p)
	}
	m, err := parsePKOK(p)
	if err != nil {
		return false, err
	}
	if m.Algorithm != alg || !bytes.Equal(m.PublicKey, blob) {
		what := "another key"
		if k, err := ssh.ParsePublicKey(m.PublicKey); err == nil {
			what = k.Type() + " key " + ssh.FingerprintSHA256(k)
		}
		return false, &ProtocolError{Method: methodPublicKey, Reason: fmt.Sprintf(
			"PK_OK for %s with algorithm %q in answer to a query for %s key %s with %q",
			what, m.Algorithm, pub.Type(), ssh.FingerprintSHA256(pub), alg)}
	}
	return true, nil
}

// Hostbound reports whether PublicKey will use the host-bound form on t:
// the server sent the EXT_INFO extension publickey-hostbound@openssh.com
// with version "0", and t knows the server's host key.
func Hostbound(t Transport) bool { return hostboundKey(t) != nil }

func hostboundKey(t Transport) ssh.PublicKey {
	if v, ok := t.Extension("publickey-hostbound@openssh.com"); !ok || string(v) != "0" {
		return nil
	}
	return t.HostKey()
}

func sign(signer ssh.Signer, alg string, data []byte) (*ssh.Signature, error) {
	sigAlg := underlyingAlgorithm(alg)
	if as, ok := signer.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand.Reader, data, sigAlg)
	}
	if sigAlg != signer.PublicKey().Type() && sigAlg != underlyingAlgorithm(signer.PublicKey().Type()) {
		return nil, fmt.Errorf("ssh: key %s cannot sign with %s", signer.PublicKey().Type(), sigAlg)
	}
	return signer.Sign(rand.Reader, data)
}

// rsaAlgorithms are the RSA signature algorithms in amiko's preference.
// ssh-rsa (SHA-1) is not among them: see LegacyRSA.
var rsaAlgorithms = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}

// LegacyRSA lets an RSA signer sign with ssh-rsa (SHA-1), after the
// rsa-sha2 algorithms, where it allows it: the caller's explicit opt-in,
// for servers that know nothing newer (OpenSSH before 7.2, old network
// gear). Any other signer never signs with ssh-rsa, even though
// x/crypto's RSA signers allow it.
type LegacyRSA struct{ ssh.MultiAlgorithmSigner }

// SignatureAlgorithm picks the public key algorithm for signer. For RSA
// keys it is rsa-sha2-512 or rsa-sha2-256 as the server's server-sig-algs
// allows; server-sig-algs never names certificate algorithms, so a
// certificate's algorithm is looked up by its base name. A server that
// sends no server-sig-algs (old OpenSSH, dropbear) gets rsa-sha2-256,
// which every server since OpenSSH 7.2 and dropbear 2020.79 accepts.
// A signer that cannot choose its algorithm never silently falls back to
// ssh-rsa: that is an error. A LegacyRSA signer that allows ssh-rsa may
// sign with it, last, or first for a server without server-sig-algs
// (OpenSSH before 7.2, which knows nothing else), as OpenSSH's client
// does.
func SignatureAlgorithm(t Transport, signer ssh.Signer) (string, error) {
	keyType := signer.PublicKey().Type()
	if keyType != ssh.KeyAlgoRSA && keyType != ssh.CertAlgoRSAv01 {
		return keyType, nil
	}
	if _, ok := signer.(ssh.AlgorithmSigner); !ok {
		return "", &SignerError{KeyType: keyType, Reason: fmt.Sprintf("signer %T cannot sign with rsa-sha2-256 or rsa-sha2-512 (it does not implement ssh.AlgorithmSigner)", signer)}
	}
	candidates := rsaAlgorithms
	if ms, ok := signer.(ssh.MultiAlgorithmSigner); ok {
		// A signer restricted to some algorithms (ssh.NewSignerWithAlgorithms,
		// or the user's disabled algorithms) picks among those.
		all := slices.Clone(rsaAlgorithms)
		if _, legacy := signer.(LegacyRSA); legacy {
			all = append(all, ssh.KeyAlgoRSA)
		}
		candidates = slices.DeleteFunc(slices.Clone(all), func(a string) bool { return !slices.Contains(ms.Algorithms(), a) })
		if len(candidates) == 0 {
			return "", &SignerError{KeyType: keyType, Reason: fmt.Sprintf("signer allows none of %v", all)}
		}
	}
	return rsaAlgorithm(t, keyType, candidates)
}

// keyAlgorithm picks the public key algorithm for a key of keyType, as
// SignatureAlgorithm describes, for a key that can sign with any.
func keyAlgorithm(t Transport, keyType string) (string, error) {
	if keyType != ssh.KeyAlgoRSA && keyType != ssh.CertAlgoRSAv01 {
		return keyType, nil
	}
	return rsaAlgorithm(t, keyType, rsaAlgorithms)
}

// rsaAlgorithm picks the first of candidates that server-sig-algs lists;
// without server-sig-algs, ssh-rsa if it is a candidate (the caller's
// opt-in), else rsa-sha2-256 if it is one.
func rsaAlgorithm(t Transport, keyType string, candidates []string) (string, error) {
	choice := candidates[0]
	if slices.Contains(candidates, ssh.KeyAlgoRSA) {
		choice = ssh.KeyAlgoRSA
	} else if slices.Contains(candidates, ssh.KeyAlgoRSASHA256) {
		choice = ssh.KeyAlgoRSASHA256
	}
	if v, ok := t.Extension("server-sig-algs"); ok {
		allowed := strings.Split(string(v), ",")
		i := slices.IndexFunc(candidates, func(a string) bool { return slices.Contains(allowed, a) })
		if i < 0 {
			return "", &SignerError{KeyType: keyType, Reason: fmt.Sprintf("the server accepts none of %v (server-sig-algs %q)", candidates, v)}
		}
		choice = candidates[i]
	}
	if keyType == ssh.CertAlgoRSAv01 {
		return choice + "-cert-v01@openssh.com", nil
	}
	return choice, nil
}

// underlyingAlgorithm maps a certificate algorithm to the signature
// algorithm it signs with.
func underlyingAlgorithm(alg string) string {
	base, _ := strings.CutSuffix(alg, "-cert-v01@openssh.com")
	return base
}
