package wire

import "math/big"

// KexECDHReply is SSH_MSG_KEX_ECDH_REPLY (RFC 5656 section 4), also used
// by curve25519-sha256 (RFC 8731) and the hybrid post-quantum methods,
// whose server reply is a string too.
type KexECDHReply struct {
	HostKey   []byte
	ServerPub []byte
	Signature []byte
}

// AppendKexECDHInit appends SSH_MSG_KEX_ECDH_INIT with the client's
// ephemeral public value.
func AppendKexECDHInit(b []byte, clientPub []byte) []byte {
	return AppendString(append(b, MsgKexDHInit), clientPub)
}

// ParseKexECDHInit decodes SSH_MSG_KEX_ECDH_INIT.
func ParseKexECDHInit(p []byte) ([]byte, error) {
	r := NewReader("KEX_ECDH_INIT", p)
	r.Byte("message number")
	q := r.String("Q_C")
	return q, r.End()
}

// Append appends the encoded message, message number included.
func (m *KexECDHReply) Append(b []byte) []byte {
	b = AppendString(append(b, MsgKexDHReply), m.HostKey)
	b = AppendString(b, m.ServerPub)
	return AppendString(b, m.Signature)
}

// ParseKexECDHReply decodes SSH_MSG_KEX_ECDH_REPLY.
func ParseKexECDHReply(p []byte) (*KexECDHReply, error) {
	r := NewReader("KEX_ECDH_REPLY", p)
	if r.Byte("message number") != MsgKexDHReply {
		return nil, &ParseError{Msg: "KEX_ECDH_REPLY", Field: "message number"}
	}
	m := &KexECDHReply{HostKey: r.String("K_S"), ServerPub: r.String("Q_S"), Signature: r.String("signature")}
	return m, r.End()
}

// KexDHReply is SSH_MSG_KEXDH_REPLY (RFC 4253 section 8) and
// SSH_MSG_KEX_DH_GEX_REPLY (RFC 4419 section 3), which differ only in
// their message number.
type KexDHReply struct {
	HostKey   []byte
	F         *big.Int
	Signature []byte
}

// AppendKexDHInit appends SSH_MSG_KEXDH_INIT or, with msg
// MsgKexGexInit, SSH_MSG_KEX_DH_GEX_INIT.
func AppendKexDHInit(b []byte, msg byte, e *big.Int) []byte {
	return AppendMPInt(append(b, msg), e)
}

// Append appends the encoded message with message number msg.
func (m *KexDHReply) Append(b []byte, msg byte) []byte {
	b = AppendString(append(b, msg), m.HostKey)
	b = AppendMPInt(b, m.F)
	return AppendString(b, m.Signature)
}

// ParseKexDHReply decodes a KEXDH_REPLY or KEX_DH_GEX_REPLY, whichever msg
// names.
func ParseKexDHReply(p []byte, msg byte) (*KexDHReply, error) {
	r := NewReader("KEXDH_REPLY", p)
	if r.Byte("message number") != msg {
		return nil, &ParseError{Msg: "KEXDH_REPLY", Field: "message number"}
	}
	m := &KexDHReply{HostKey: r.String("K_S"), F: r.MPInt("f"), Signature: r.String("signature")}
	return m, r.End()
}

// KexGexRequest is SSH_MSG_KEY_DH_GEX_REQUEST (RFC 4419 section 3).
type KexGexRequest struct{ Min, N, Max uint32 }

// Append appends the encoded message, message number included.
func (m *KexGexRequest) Append(b []byte) []byte {
	b = AppendUint32(append(b, MsgKexGexRequest), m.Min)
	b = AppendUint32(b, m.N)
	return AppendUint32(b, m.Max)
}

// ParseKexGexGroup decodes SSH_MSG_KEX_DH_GEX_GROUP: the safe prime p and
// generator g.
func ParseKexGexGroup(pkt []byte) (p, g *big.Int, err error) {
	r := NewReader("KEX_DH_GEX_GROUP", pkt)
	if r.Byte("message number") != MsgKexGexGroup {
		return nil, nil, &ParseError{Msg: "KEX_DH_GEX_GROUP", Field: "message number"}
	}
	p, g = r.MPInt("p"), r.MPInt("g")
	return p, g, r.End()
}

// AppendKexGexGroup appends SSH_MSG_KEX_DH_GEX_GROUP.
func AppendKexGexGroup(b []byte, p, g *big.Int) []byte {
	return AppendMPInt(AppendMPInt(append(b, MsgKexGexGroup), p), g)
}

// Signature is an SSH signature blob: its format name and the blob.
type Signature struct {
	Format string
	Blob   []byte
}

// ParseSignature decodes a signature blob (RFC 4253 section 6.6). The
// algorithm-specific blob is left to the verifier.
func ParseSignature(b []byte) (*Signature, error) {
	r := NewReader("signature", b)
	s := &Signature{Format: r.Text("format"), Blob: r.String("blob")}
	return s, r.End()
}
