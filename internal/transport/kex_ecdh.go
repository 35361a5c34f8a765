package transport

import (
	"crypto"
	"crypto/ecdh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// ecdhKex is ecdh-sha2-nistp256, -nistp384 and -nistp521 (RFC 5656
// section 4): ephemeral ECDH with uncompressed SEC1 points and K the
// shared x-coordinate as an mpint.
type ecdhKex struct {
	name  string
	curve ecdh.Curve
	hash  crypto.Hash
	// scalarSize is the length of a private scalar in bytes and topMask
	// the bits of its first byte that the group order can have set: the
	// scalar is read from in.rand, masked, and rejected unless it is in
	// [1, n-1], as crypto/ecdh.GenerateKey did before Go 1.26.
	scalarSize int
	topMask    byte
}

// maxScalarTries bounds the rejection sampling of a NIST scalar. Each try
// fails with probability below 1/2 (P-521, after masking), far less for
// P-256 and P-384, so hitting it means the random source is broken.
const maxScalarTries = 64

func (k *ecdhKex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	return runStarted(k, t, in)
}

func (k *ecdhKex) start(in *kexInput) ([]byte, kexRest, error) {
	priv, err := k.privateKey(in)
	if err != nil {
		return nil, nil, err
	}
	qc := priv.PublicKey().Bytes()
	rest := func(t kexTransport, in *kexInput) (*kexResult, error) {
		reply, err := readECDHReply(t, k.name)
		if err != nil {
			return nil, err
		}
		// NewPublicKey accepts only an uncompressed point on the curve:
		// the identity, compressed points, points off the curve and wrong
		// lengths are all refused (RFC 5656 section 4 requires the check).
		pub, err := k.curve.NewPublicKey(reply.ServerPub)
		if err != nil {
			return nil, kexErrorf(k.name, err, "bad server public point")
		}
		secret, err := priv.ECDH(pub)
		if err != nil {
			return nil, kexErrorf(k.name, err, "ECDH with server public point")
		}
		K := wire.AppendMPIntBytes(nil, secret)
		clear(secret)
		return ecdhReplyResult(k.hash, in, reply, qc, K), nil
	}
	return wire.AppendKexECDHInit(nil, qc), rest, nil
}

// privateKey draws a scalar from in.rand by rejection sampling.
func (k *ecdhKex) privateKey(in *kexInput) (*ecdh.PrivateKey, error) {
	for range maxScalarTries {
		b, err := kexRandom(k.name, in, k.scalarSize)
		if err != nil {
			return nil, err
		}
		b[0] &= k.topMask
		// NewPrivateKey checks 0 < d < n in constant time.
		priv, err := k.curve.NewPrivateKey(b)
		clear(b)
		if err == nil {
			return priv, nil
		}
	}
	return nil, kexErrorf(k.name, nil, "no valid scalar in %d tries: random source is broken", maxScalarTries)
}
