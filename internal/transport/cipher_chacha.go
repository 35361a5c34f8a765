package transport

import (
	"encoding/binary"
	"slices"

	"github.com/amiko-ssh/amiko/internal/chacha"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// chachaCipher is chacha20-poly1305@openssh.com (OpenSSH's
// PROTOCOL.chacha20poly1305). The 64-byte key is two ChaCha20 keys: K_2
// (the first half) encrypts the payload from block counter 1 on and gives
// the Poly1305 key from block 0; K_1 (the second half) encrypts the
// 4-byte length with block 0. The nonce is the sequence number.
//
// Speed: the body is XORed with K_2's keystream from block counter 1 by
// the fastest code the machine has, chosen once per key:
//
//   - internal/chacha's AVX-512 assembly where the machine has it;
//   - else, on amd64, x/crypto's chacha20poly1305 AEAD, whose Seal
//     encrypts from block counter 1 with a 96-bit nonce whose first 4
//     bytes are zero (exactly OpenSSH's 64-bit-counter, 64-bit-nonce
//     keystream) in assembly, though it also computes a Poly1305 tag
//     over the data that is thrown away: x/crypto's standalone chacha20
//     has no amd64 assembly, and the AEAD's is still faster with the tag;
//   - elsewhere (arm64, ppc64le, s390x, loong64, the purego tag) the
//     standalone chacha20, which has assembly on those architectures
//     where the AEAD has none: the AEAD there would add a Poly1305 pass
//     and allocations to the same keystream.
//
// The two block-0 uses go through the standalone chacha20, on the stack.
// The Poly1305 of long packets is internal/chacha's AVX-512 IFMA code
// where the machine has it (3.5x x/crypto's), x/crypto's elsewhere.
type chachaCipher struct {
	mainKey, lengthKey [32]byte
	body               *chacha.Cipher // the AVX-512 route, or nil
	aead               interface {    // the amd64 AEAD route, or nil
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
	}
	// nonce lives here rather than on the stack: passing it through the
	// aead interface would move it to the heap on every packet.
	nonce [12]byte
	// So do the per-packet Poly1305 key and decrypted length: x/crypto's
	// generic chacha20 (the purego build) lets the slices it is given
	// escape, which on the stack would allocate on every packet.
	polyKey  [32]byte
	plainLen [4]byte
}

const chachaTagSize = 16 // Poly1305's

func newChaCha20Poly1305(key, _ []byte, _ *macMode, _ []byte) (packetCipher, error) {
	c := new(chachaCipher)
	copy(c.mainKey[:], key[:32])
	copy(c.lengthKey[:], key[32:64])
	if chacha.Accelerated {
		c.body = chacha.New(&c.mainKey)
		return c, nil
	}
	if !aeadAssembly {
		return c, nil
	}
	aead, err := chacha20poly1305.New(c.mainKey[:])
	if err != nil {
		return nil, err
	}
	c.aead = aead
	return c, nil
}

// setNonce sets the nonce for seq: 4 zero bytes, then the sequence number
// as a 64-bit big-endian value.
func (c *chachaCipher) setNonce(seq uint32) *[12]byte {
	binary.BigEndian.PutUint64(c.nonce[4:], uint64(seq))
	return &c.nonce
}

// xorBody en- or decrypts body in place with K_2's keystream from block
// counter 1. With the AEAD route, body must have room for a 16-byte tag
// after its length, which the AEAD overwrites.
func (c *chachaCipher) xorBody(body []byte, nonce *[12]byte) {
	if c.body != nil {
		c.body.XORKeyStream(body, body, nonce, 1)
		return
	}
	if c.aead != nil {
		c.aead.Seal(body[:0], nonce[:], body, nil)
		return
	}
	s, _ := chacha20.NewUnauthenticatedCipher(c.mainKey[:], nonce[:])
	s.SetCounter(1)
	s.XORKeyStream(body, body)
}

// setPolyKey sets c.polyKey to the Poly1305 key for nonce: block 0 of
// K_2.
func (c *chachaCipher) setPolyKey(nonce *[12]byte) *[32]byte {
	c.polyKey = [32]byte{}
	s, _ := chacha20.NewUnauthenticatedCipher(c.mainKey[:], nonce[:])
	s.XORKeyStream(c.polyKey[:], c.polyKey[:])
	return &c.polyKey
}

// xorLength en- or decrypts the 4-byte length with block 0 of K_1.
func (c *chachaCipher) xorLength(dst, src []byte, nonce *[12]byte) {
	s, _ := chacha20.NewUnauthenticatedCipher(c.lengthKey[:], nonce[:])
	s.XORKeyStream(dst[:4], src[:4])
}

func (c *chachaCipher) open(seq uint32, r *packetReader) ([]byte, error) {
	nonce := c.setNonce(seq)
	hdr, err := r.peek(4)
	if err != nil {
		return nil, err
	}
	c.xorLength(c.plainLen[:], hdr, nonce)
	length := binary.BigEndian.Uint32(c.plainLen[:])
	if err := checkLength(length, int(length), 8); err != nil {
		return nil, err
	}
	total := 4 + int(length) + chachaTagSize
	pkt, err := r.peek(total)
	if err != nil {
		return nil, err
	}
	var tag [chachaTagSize]byte
	copy(tag[:], pkt[4+length:])
	if !chacha.Verify(&tag, pkt[:4+length], c.setPolyKey(nonce)) {
		return nil, errMAC
	}
	// Decrypt in place. The AEAD route writes a tag after the data; the
	// packet's own tag is there, already verified, so it may be overwritten.
	body := pkt[4 : 4+length : total]
	c.xorBody(body, nonce)
	r.discard(total)
	return payloadOf(body)
}

func (c *chachaCipher) seal(seq uint32, dst, payload []byte, pad *padding) []byte {
	nonce := c.setNonce(seq)
	start := len(dst)
	dst = slices.Grow(dst, 4+1+len(payload)+2*8+chachaTagSize)
	dst = appendPacket(dst, payload, 8, 4, pad)
	pkt := dst[start:]
	c.xorLength(pkt, pkt, nonce)
	body := pkt[4:]
	c.xorBody(body, nonce) // the AEAD route overwrites the space for our tag with its own, unused
	var tag [chachaTagSize]byte
	chacha.Sum(&tag, pkt, c.setPolyKey(nonce))
	return append(dst, tag[:]...)
}
