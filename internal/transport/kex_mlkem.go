package transport

import (
	"crypto"
	"crypto/mlkem"
	"crypto/sha256"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// mlkem768x25519Kex is mlkem768x25519-sha256
// (draft-ietf-sshm-mlkem-hybrid-kex; OpenSSH 9.9): ML-KEM-768 combined
// with X25519. The client sends C_INIT = the ML-KEM encapsulation key ||
// its X25519 public value; the server answers S_REPLY = the ML-KEM
// ciphertext || its X25519 public value. K = SHA-256(ML-KEM shared secret
// || X25519 shared secret), and unlike the classical methods it enters the
// exchange hash and the key derivation as a string, not an mpint.
type mlkem768x25519Kex struct{}

const mlkem768x25519Name = "mlkem768x25519-sha256"

func (k mlkem768x25519Kex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	return runStarted(k, t, in)
}

func (mlkem768x25519Kex) start(in *kexInput) ([]byte, kexRest, error) {
	const name = mlkem768x25519Name
	// The X25519 scalar is read first, then the ML-KEM seed: the order
	// golang.org/x/crypto/ssh reads them in, so its client and ours give
	// the same C_INIT from the same random stream.
	xpriv, err := x25519PrivateKey(name, in)
	if err != nil {
		return nil, nil, err
	}
	seed, err := kexRandom(name, in, mlkem.SeedSize)
	if err != nil {
		return nil, nil, err
	}
	dk, err := mlkem.NewDecapsulationKey768(seed)
	clear(seed)
	if err != nil {
		return nil, nil, kexErrorf(name, err, "building ML-KEM-768 key")
	}
	cInit := make([]byte, 0, mlkem.EncapsulationKeySize768+x25519KeySize)
	cInit = append(cInit, dk.EncapsulationKey().Bytes()...)
	cInit = append(cInit, xpriv.PublicKey().Bytes()...)

	rest := func(t kexTransport, in *kexInput) (*kexResult, error) {
		reply, err := readECDHReply(t, name)
		if err != nil {
			return nil, err
		}
		sReply := reply.ServerPub
		if len(sReply) != mlkem.CiphertextSize768+x25519KeySize {
			return nil, kexErrorf(name, nil, "server's S_REPLY is %d bytes, want %d",
				len(sReply), mlkem.CiphertextSize768+x25519KeySize)
		}
		// Decapsulation never fails on a ciphertext of the right size: a
		// bad one yields an implicit-rejection secret (FIPS 203), and the
		// exchange then fails at the signature or the first MAC.
		kemSecret, err := dk.Decapsulate(sReply[:mlkem.CiphertextSize768])
		if err != nil {
			return nil, kexErrorf(name, err, "bad ML-KEM ciphertext")
		}
		ecdhSecret, err := x25519Shared(name, xpriv, sReply[mlkem.CiphertextSize768:])
		if err != nil {
			clear(kemSecret)
			return nil, err
		}
		h := sha256.New()
		h.Write(kemSecret)
		h.Write(ecdhSecret)
		clear(kemSecret)
		clear(ecdhSecret)
		secret := h.Sum(nil)
		K := wire.AppendString(nil, secret)
		clear(secret)

		// string C_INIT, string S_REPLY, string K.
		return ecdhReplyResult(crypto.SHA256, in, reply, cInit, K), nil
	}
	return wire.AppendKexECDHInit(nil, cInit), rest, nil
}
