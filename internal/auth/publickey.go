package auth

import (
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
func PublicKey(t Transport, user string, signer ssh.Signer) error {
	alg, err := SignatureAlgorithm(t, signer)
	if err != nil {
		return err
	}
	pub := signer.PublicKey().Marshal()
	req := appendRequestHeader(nil, user, "publickey")
	req = wire.AppendBool(req, true)
	req = wire.AppendText(req, alg)
	req = wire.AppendString(req, pub)

	// The signed data is the session id followed by the request so far.
	data := wire.AppendString(nil, t.SessionID())
	data = append(data, req...)
	sig, err := sign(signer, alg, data)
	if err != nil {
		return err
	}
	req = wire.AppendString(req, ssh.Marshal(sig))
	if err := t.WritePacket(req); err != nil {
		return err
	}
	p, err := readAuthPacket(t)
	if err != nil {
		return err
	}
	switch p[0] {
	case wire.MsgUserauthSuccess:
		return nil
	case wire.MsgUserauthFailure:
		return parseFailure("publickey", p)
	}
	return fmt.Errorf("ssh: unexpected message %d in publickey authentication", p[0])
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
var rsaAlgorithms = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}

// SignatureAlgorithm picks the public key algorithm for signer. For RSA
// keys it is rsa-sha2-512 or rsa-sha2-256 as the server's server-sig-algs
// allows; server-sig-algs never names certificate algorithms, so a
// certificate's algorithm is looked up by its base name. A server that
// sends no server-sig-algs (old OpenSSH, dropbear) gets rsa-sha2-256,
// which every server since OpenSSH 7.2 and dropbear 2020.79 accepts.
// A signer that cannot choose its algorithm never silently falls back to
// ssh-rsa: that is an error.
func SignatureAlgorithm(t Transport, signer ssh.Signer) (string, error) {
	keyType := signer.PublicKey().Type()
	if keyType != ssh.KeyAlgoRSA && keyType != ssh.CertAlgoRSAv01 {
		return keyType, nil
	}
	if _, ok := signer.(ssh.AlgorithmSigner); !ok {
		return "", fmt.Errorf("ssh: RSA signer %T cannot sign with rsa-sha2-256 or rsa-sha2-512 (it does not implement ssh.AlgorithmSigner)", signer)
	}
	choice := ssh.KeyAlgoRSASHA256
	if v, ok := t.Extension("server-sig-algs"); ok {
		allowed := strings.Split(string(v), ",")
		i := slices.IndexFunc(rsaAlgorithms, func(a string) bool { return slices.Contains(allowed, a) })
		if i < 0 {
			return "", fmt.Errorf("ssh: server accepts none of %v for RSA keys (server-sig-algs %q)", rsaAlgorithms, v)
		}
		choice = rsaAlgorithms[i]
	}
	if ms, ok := signer.(ssh.MultiAlgorithmSigner); ok && !slices.Contains(ms.Algorithms(), choice) {
		return "", fmt.Errorf("ssh: RSA signer does not allow %s", choice)
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
