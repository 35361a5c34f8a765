package transport

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// Packet size limits. maxPacket bounds the packet_length field before
// anything is allocated for a packet (OpenSSH's PACKET_MAX_SIZE).
const (
	maxPacket     = 256 << 10
	minPadding    = 4
	maxPayloadOut = maxPacket - 64 // leaves room for length, padding and MAC
)

// packetCipher encrypts and authenticates one direction's packets (RFC
// 4253 section 6). Implementations keep their buffers between calls so
// that steady-state traffic allocates nothing.
type packetCipher interface {
	// open reads one packet from r, decrypts and authenticates it, and
	// returns its payload. The payload aliases r's buffer and is valid
	// until the next call.
	open(seq uint32, r *packetReader) ([]byte, error)
	// seal appends to dst the encrypted packet that carries payload.
	seal(seq uint32, dst, payload []byte, pad *padding) []byte
}

// cipherMode describes one encryption algorithm.
type cipherMode struct {
	keySize, ivSize int
	// aead ciphers authenticate themselves: no MAC is negotiated with them.
	aead bool
	// blockSize counts towards the rekey limit (RFC 4344).
	blockSize int
	// legacy ciphers are used only when explicitly enabled.
	legacy bool
	// new builds the cipher for one direction. mac is nil for AEAD modes.
	new func(key, iv []byte, mac *macMode, macKey []byte) (packetCipher, error)
}

// cipherModes maps each supported cipher name to its mode.
var cipherModes = map[string]*cipherMode{
	"chacha20-poly1305@openssh.com": {keySize: 64, aead: true, blockSize: 8, new: newChaCha20Poly1305},
	"aes128-gcm@openssh.com":        {keySize: 16, ivSize: 12, aead: true, blockSize: 16, new: newAESGCM},
	"aes256-gcm@openssh.com":        {keySize: 32, ivSize: 12, aead: true, blockSize: 16, new: newAESGCM},
	"aes128-ctr":                    {keySize: 16, ivSize: 16, blockSize: 16, new: newAESCTR},
	"aes192-ctr":                    {keySize: 24, ivSize: 16, blockSize: 16, new: newAESCTR},
	"aes256-ctr":                    {keySize: 32, ivSize: 16, blockSize: 16, new: newAESCTR},
	"aes128-cbc":                    {keySize: 16, ivSize: 16, blockSize: 16, legacy: true, new: newAESCBC},
	"aes192-cbc":                    {keySize: 24, ivSize: 16, blockSize: 16, legacy: true, new: newAESCBC},
	"aes256-cbc":                    {keySize: 32, ivSize: 16, blockSize: 16, legacy: true, new: newAESCBC},
	"3des-cbc":                      {keySize: 24, ivSize: 8, blockSize: 8, legacy: true, new: newTripleDESCBC},
}

// padding fills padding bytes. RFC 4253 asks for random padding. The
// runtime's ChaCha8 generator (math/rand/v2's functions: seeded from the
// system's entropy, one state per thread) gives that without a system
// call per packet and without a generator of each connection's own,
// which an idle connection would carry for nothing. newPadding makes one
// of a test's own, seeded.
type padding struct{ rng *rand.ChaCha8 }

// runtimePadding is the padding of every connection.
var runtimePadding = &padding{}

func newPadding(seed [32]byte) *padding { return &padding{rng: rand.NewChaCha8(seed)} }

func (p *padding) fill(b []byte) {
	if p.rng != nil {
		p.rng.Read(b)
		return
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, rand.Uint64())
		b = b[8:]
	}
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
}

// paddingLength returns the padding for a packet whose padded part (the
// bytes that must be a multiple of blockSize) would be n bytes without
// padding. It is at least minPadding, and the result aligned.
func paddingLength(n, blockSize int) int {
	p := blockSize - n%blockSize
	if p < minPadding {
		p += blockSize
	}
	return p
}

// appendPacket appends packet_length, padding_length, payload and random
// padding to dst, unencrypted. aadLen is 4 when the length field is not
// part of the aligned data (AEAD and encrypt-then-MAC modes).
func appendPacket(dst, payload []byte, blockSize, aadLen int, pad *padding) []byte {
	padLen := paddingLength(4-aadLen+1+len(payload), blockSize)
	dst = binary.BigEndian.AppendUint32(dst, uint32(1+len(payload)+padLen))
	dst = append(dst, byte(padLen))
	dst = append(dst, payload...)
	var r [2*16 + minPadding]byte // padLen < blockSize+minPadding, block sizes <= 16
	pad.fill(r[:padLen])
	return append(dst, r[:padLen]...)
}

// checkLength validates a packet_length field before anything is read or
// allocated for the packet. aligned is the number of bytes that must be a
// multiple of blockSize.
func checkLength(length uint32, aligned, blockSize int) error {
	if length < 1+minPadding+1 || length > maxPacket {
		return &ProtocolError{Reason: fmt.Sprintf("invalid packet length %d", length)}
	}
	if aligned%blockSize != 0 {
		return &ProtocolError{Reason: fmt.Sprintf("packet length %d is not a multiple of the cipher block size", length)}
	}
	return nil
}

// payloadOf returns the payload of a decrypted packet body (padding_length,
// payload, padding), checking the padding length.
func payloadOf(body []byte) ([]byte, error) {
	padLen := int(body[0])
	if padLen < minPadding || padLen > len(body)-2 {
		return nil, &ProtocolError{Reason: fmt.Sprintf("invalid padding length %d", padLen)}
	}
	return body[1 : len(body)-padLen], nil
}
