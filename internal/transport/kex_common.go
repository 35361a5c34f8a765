package transport

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"io"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// exchangeHash computes the exchange hash H of RFC 4253 section 8:
// HASH(V_C || V_S || I_C || I_S || K_S || values), where values holds the
// method's own fields, already encoded, in the order its RFC gives, K last.
func exchangeHash(hash crypto.Hash, in *kexInput, hostKey, values []byte) []byte {
	b := make([]byte, 0, 5*4+len(in.clientVersion)+len(in.serverVersion)+
		len(in.clientKexInit)+len(in.serverKexInit)+len(hostKey))
	b = wire.AppendString(b, in.clientVersion)
	b = wire.AppendString(b, in.serverVersion)
	b = wire.AppendString(b, in.clientKexInit)
	b = wire.AppendString(b, in.serverKexInit)
	b = wire.AppendString(b, hostKey)
	h := hash.New()
	h.Write(b)
	h.Write(values)
	return h.Sum(nil)
}

// ecdhReplyResult is the result of the methods with RFC 5656's messages
// (ECDH, curve25519, the hybrid post-quantum ones): H over string Q_C,
// string Q_S and K, where K is already encoded as the method hashes it
// (an mpint, or a string for the hybrids).
func ecdhReplyResult(hash crypto.Hash, in *kexInput, reply *wire.KexECDHReply, clientPub, K []byte) *kexResult {
	values := wire.AppendString(nil, clientPub)
	values = wire.AppendString(values, reply.ServerPub)
	values = append(values, K...)
	return &kexResult{
		H:         exchangeHash(hash, in, reply.HostKey, values),
		K:         K,
		HostKey:   reply.HostKey,
		Signature: reply.Signature,
		Hash:      hash,
	}
}

// kexRandom reads n bytes of the client's ephemeral secret from in.rand
// (crypto/rand when it is nil).
func kexRandom(method string, in *kexInput, n int) ([]byte, error) {
	r := in.rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, kexErrorf(method, err, "reading randomness")
	}
	return b, nil
}

// readKexMessage reads the next packet and checks that it is message msg,
// so that a message the method does not expect at this point (another kex
// message, or one of a different method that shares the number space) is
// reported as such rather than as a decoding error.
func readKexMessage(t kexTransport, method string, msg byte, name string) ([]byte, error) {
	p, err := t.readPacket()
	if err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, kexErrorf(method, nil, "empty packet, want %s (%d)", name, msg)
	}
	if p[0] != msg {
		return nil, kexErrorf(method, nil, "unexpected message %d, want %s (%d)", p[0], name, msg)
	}
	return p, nil
}

// readECDHReply reads and decodes SSH_MSG_KEX_ECDH_REPLY (also the reply of
// curve25519 and the hybrid methods). Its slices are copies: the packet
// itself is only valid until the next read.
func readECDHReply(t kexTransport, method string) (*wire.KexECDHReply, error) {
	p, err := readKexMessage(t, method, wire.MsgKexDHReply, "KEX_ECDH_REPLY")
	if err != nil {
		return nil, err
	}
	m, err := wire.ParseKexECDHReply(p)
	if err != nil {
		return nil, kexErrorf(method, err, "bad KEX_ECDH_REPLY")
	}
	return &wire.KexECDHReply{
		HostKey:   bytes.Clone(m.HostKey),
		ServerPub: bytes.Clone(m.ServerPub),
		Signature: bytes.Clone(m.Signature),
	}, nil
}
