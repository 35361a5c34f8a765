package transport

import (
	"crypto"
	"crypto/ecdh"
	"crypto/subtle"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// curve25519Kex is curve25519-sha256 and its older name
// curve25519-sha256@libssh.org (RFC 8731): ECDH over X25519 with the
// messages of RFC 5656, and K the shared secret as an mpint.
type curve25519Kex struct {
	name string
}

// x25519KeySize is the size of X25519 scalars, points and shared secrets.
const x25519KeySize = 32

func (k curve25519Kex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	return runStarted(k, t, in)
}

func (k curve25519Kex) start(in *kexInput) ([]byte, kexRest, error) {
	priv, err := x25519PrivateKey(k.name, in)
	if err != nil {
		return nil, nil, err
	}
	qc := priv.PublicKey().Bytes()
	rest := func(t kexTransport, in *kexInput) (*kexResult, error) {
		reply, err := readECDHReply(t, k.name)
		if err != nil {
			return nil, err
		}
		secret, err := x25519Shared(k.name, priv, reply.ServerPub)
		if err != nil {
			return nil, err
		}
		// RFC 8731 section 3.1: the 32 bytes are read as an unsigned
		// big-endian number and encoded as an mpint.
		K := wire.AppendMPIntBytes(nil, secret)
		clear(secret)

		// RFC 5656 section 4: string Q_C, string Q_S, mpint K.
		return ecdhReplyResult(crypto.SHA256, in, reply, qc, K), nil
	}
	return wire.AppendKexECDHInit(nil, qc), rest, nil
}

// x25519PrivateKey builds an X25519 key from 32 bytes of in.rand.
func x25519PrivateKey(method string, in *kexInput) (*ecdh.PrivateKey, error) {
	b, err := kexRandom(method, in, x25519KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	priv, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, kexErrorf(method, err, "building X25519 key")
	}
	return priv, nil
}

// x25519Shared computes the X25519 shared secret with the server's public
// value, rejecting a value of the wrong length and an all-zero secret (a
// low-order point; RFC 8731 section 3).
func x25519Shared(method string, priv *ecdh.PrivateKey, serverPub []byte) ([]byte, error) {
	if len(serverPub) != x25519KeySize {
		return nil, kexErrorf(method, nil, "server's X25519 public value is %d bytes, want %d", len(serverPub), x25519KeySize)
	}
	pub, err := ecdh.X25519().NewPublicKey(serverPub)
	if err != nil {
		return nil, kexErrorf(method, err, "bad server X25519 public value")
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		// crypto/ecdh refuses the all-zero output itself.
		return nil, kexErrorf(method, err, "server's X25519 public value is a low-order point")
	}
	// Checked here too, in constant time, so the rule does not hang on a
	// detail of crypto/ecdh.
	var zero [x25519KeySize]byte
	if subtle.ConstantTimeCompare(secret, zero[:]) == 1 {
		return nil, kexErrorf(method, nil, "X25519 shared secret is zero")
	}
	return secret, nil
}
