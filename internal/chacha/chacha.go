package chacha

import (
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
)

// chunkSize is what one pass of the assembly en- or decrypts: sixteen
// 64-byte blocks.
const chunkSize = 16 * 64

// Cipher holds a ChaCha20 key. Its zero value is not usable; see New.
// It keeps the block state of a call in itself, so it is for one
// goroutine at a time (the transport has one per direction).
type Cipher struct {
	key   [32]byte
	state [16]uint32 // scratch for one call: constants, key, counter, nonce
}

// New returns a Cipher for key.
func New(key *[32]byte) *Cipher {
	c := &Cipher{key: *key}
	c.state[0], c.state[1], c.state[2], c.state[3] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	for i := range 8 {
		c.state[4+i] = binary.LittleEndian.Uint32(key[4*i:])
	}
	return c
}

// XORKeyStream XORs src with the keystream for nonce starting at block
// counter, and writes the result to dst, which must be at least as long as
// src and may be src itself (but must not otherwise overlap it). The block
// counter is RFC 8439's 32-bit one: the keystream must not run past block
// 2^32-1 (256 GiB), which an SSH packet never comes near.
func (c *Cipher) XORKeyStream(dst, src []byte, nonce *[12]byte, counter uint32) {
	if len(src) == 0 {
		return
	}
	dst = dst[:len(src)]
	if uint64(counter)+uint64(len(src)+63)/64 > 1<<32 {
		panic("chacha: block counter overflow")
	}
	if !Accelerated {
		s, _ := chacha20.NewUnauthenticatedCipher(c.key[:], nonce[:])
		s.SetCounter(counter)
		s.XORKeyStream(dst, src)
		return
	}
	c.state[12] = counter
	c.state[13] = binary.LittleEndian.Uint32(nonce[0:])
	c.state[14] = binary.LittleEndian.Uint32(nonce[4:])
	c.state[15] = binary.LittleEndian.Uint32(nonce[8:])
	full := len(src) / chunkSize * chunkSize
	if full > 0 {
		xorChunks(&dst[0], &src[0], full/chunkSize, &c.state) // advances state[12]
	}
	if rest := len(src) - full; rest > 0 {
		var ks [chunkSize]byte
		xorChunks(&ks[0], &ks[0], 1, &c.state)
		subtle.XORBytes(dst[full:], src[full:], ks[:rest])
	}
}
