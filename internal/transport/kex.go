package transport

import (
	"context"
	"crypto"
	"io"

	"github.com/amiko-ssh/amiko/gssapi"
)

// kexMethod is the client side of one key exchange method (RFC 4253
// section 8 and its successors). Methods are stateless values in the
// kexMethods table; each run keeps its state on the stack.
type kexMethod interface {
	// run exchanges the method's messages over t and returns the shared
	// secret and exchange hash. It does not verify the host key signature;
	// the handshake does that for every method alike.
	run(t kexTransport, in *kexInput) (*kexResult, error)
}

// kexStarter is a method whose first message depends only on the client's
// own random values, so that it can be made before the server's KEXINIT
// is known and sent right behind ours as a guess (RFC 4253 section 7).
type kexStarter interface {
	kexMethod
	// start makes the first message and returns the rest of the run,
	// which continues once that message has been sent. in.rand is all
	// of in that start reads.
	start(in *kexInput) (first []byte, rest kexRest, err error)
}

// kexRest is a started method's run after its first message.
type kexRest func(t kexTransport, in *kexInput) (*kexResult, error)

// runStarted is run for a kexStarter: start, send, continue.
func runStarted(k kexStarter, t kexTransport, in *kexInput) (*kexResult, error) {
	first, rest, err := k.start(in)
	if err != nil {
		return nil, err
	}
	if err := t.writePacket(first); err != nil {
		return nil, err
	}
	return rest(t, in)
}

// kexTransport is what a key exchange method sees of the connection while
// it runs: kex messages only.
type kexTransport interface {
	// writePacket sends one kex message (its payload, message number
	// first) under the current keys.
	writePacket(payload []byte) error
	// readPacket returns the next kex message. IGNORE and DEBUG are
	// filtered out where allowed; anything that is not a kex message is an
	// error. The slice is valid until the next call.
	readPacket() ([]byte, error)
}

// kexInput is what every method hashes besides its own values.
type kexInput struct {
	// ctx bounds what a method does beyond the connection: a GSS-API
	// mechanism's requests to its KDC.
	ctx context.Context

	clientVersion []byte // V_C, without CR LF
	serverVersion []byte // V_S, without CR LF
	clientKexInit []byte // I_C, the payload of our KEXINIT
	serverKexInit []byte // I_S, the payload of the server's KEXINIT

	// rand is read for the client's ephemeral private values, as raw
	// bytes from which each method builds its key. Known-answer tests
	// replace it with a fixed stream (Go 1.26's crypto/ecdh ignores a
	// custom reader in GenerateKey, so methods must not use it).
	rand io.Reader

	// gexMin, gexN and gexMax are the group sizes the group exchange
	// methods ask for (RFC 4419), in bits.
	gexMin, gexN, gexMax uint32
}

// kexResult is the outcome of one key exchange.
type kexResult struct {
	H         []byte      // the exchange hash
	K         []byte      // the shared secret, encoded as hashed (mpint, or string for the hybrid PQ methods)
	HostKey   []byte      // K_S, the server's host key blob (nil if the method has none, as GSS kex may)
	Signature []byte      // the server's signature blob over H
	Hash      crypto.Hash // the method's hash, used for key derivation too

	// serverAuthenticated is set by methods that authenticate the server
	// themselves, as GSS-API key exchange does by verifying the server's
	// MIC over H (RFC 4462 section 2). Such a method may send no host key
	// (the "null" host key algorithm); a key it sends anyway is kept for
	// information and not checked against known hosts, as paramiko does.
	serverAuthenticated bool
	// gssContext is a GSS-API method's established context.
	gssContext gssapi.Context
}
