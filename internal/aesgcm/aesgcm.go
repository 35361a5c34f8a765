package aesgcm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math/bits"
)

const (
	nonceSize = 12
	tagSize   = 16
	chunk     = 16 * aes.BlockSize // what one pass of the assembly takes
)

var _ cipher.AEAD = (*AEAD)(nil)

var errOpen = errors.New("aesgcm: message authentication failed")

// AEAD is AES-GCM with a 12-byte nonce and a 16-byte tag; it implements
// cipher.AEAD.
type AEAD struct {
	nr int // AES rounds: 10 or 14
	rk [15 * 16]byte
	// hkeys are H^16..H^1, each times y, in the lane order of one pass:
	// block j of sixteen is multiplied by hkeys[j] = H^(16-j).
	hkeys [16][2]uint64
}

// New returns AES-GCM for a 16- or 32-byte key. It fails where the
// machine does not run the assembly (Accelerated).
func New(key []byte) (*AEAD, error) {
	if !Accelerated {
		return nil, errors.New("aesgcm: no VAES and VPCLMULQDQ on this machine")
	}
	if len(key) != 16 && len(key) != 32 {
		return nil, errors.New("aesgcm: key must be 16 or 32 bytes")
	}
	g := new(AEAD)
	g.nr = expandKey(key, g.rk[:])
	var h [16]byte
	encryptBlock(&g.rk, g.nr, &h, &h)
	// H reversed is H read as a big-endian number; times y is a shift
	// left by one, reduced by Q when a bit falls off the top.
	hi, lo := binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:])
	carry := hi >> 63
	hi, lo = hi<<1|lo>>63, lo<<1
	if carry != 0 {
		hi ^= 0xc200000000000000
		lo ^= 1
	}
	hy := [2]uint64{lo, hi}
	p := hy
	for i := 15; i >= 0; i-- {
		g.hkeys[i] = p
		p = montMul(p, hy)
	}
	return g, nil
}

func (g *AEAD) NonceSize() int { return nonceSize }
func (g *AEAD) Overhead() int  { return tagSize }

// Seal encrypts and authenticates plaintext and appends the result to dst,
// as cipher.AEAD's Seal. dst may be plaintext[:0] exactly.
func (g *AEAD) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != nonceSize {
		panic("aesgcm: incorrect nonce length")
	}
	if uint64(len(plaintext)) > (1<<32-2)*aes.BlockSize {
		panic("aesgcm: message too large")
	}
	ret, out := sliceForAppend(dst, len(plaintext)+tagSize)
	var s state
	g.start(&s, nonce, additionalData)
	g.crypt(&s, out[:len(plaintext)], plaintext, true)
	g.finish(&s, out[len(plaintext):], len(additionalData), len(plaintext))
	return ret
}

// Open authenticates and decrypts ciphertext and appends the plaintext to
// dst, as cipher.AEAD's Open. dst may be ciphertext[:0] exactly. On
// failure what was written to dst is cleared.
func (g *AEAD) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != nonceSize {
		panic("aesgcm: incorrect nonce length")
	}
	if len(ciphertext) < tagSize || uint64(len(ciphertext)) > (1<<32-2)*aes.BlockSize+tagSize {
		return nil, errOpen
	}
	n := len(ciphertext) - tagSize
	var tag [tagSize]byte
	copy(tag[:], ciphertext[n:])
	ret, out := sliceForAppend(dst, n)
	var s state
	g.start(&s, nonce, additionalData)
	g.crypt(&s, out, ciphertext[:n], false)
	var want [tagSize]byte
	g.finish(&s, want[:], len(additionalData), n)
	if subtle.ConstantTimeCompare(want[:], tag[:]) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// state is one message's: the next counter block, the GHASH accumulator
// (reversed; the assembly reads 64 bytes, the rest zero) and the tag mask.
type state struct {
	ctr  [16]byte
	x    [4][2]uint64
	mask [16]byte
}

func (g *AEAD) start(s *state, nonce, ad []byte) {
	copy(s.ctr[:], nonce)
	binary.BigEndian.PutUint32(s.ctr[12:], 1)
	encryptBlock(&g.rk, g.nr, &s.mask, &s.ctr)
	binary.BigEndian.PutUint32(s.ctr[12:], 2)
	g.ghash(s, ad)
}

// crypt en- or decrypts src into dst and hashes the ciphertext.
func (g *AEAD) crypt(s *state, dst, src []byte, encrypt bool) {
	full := len(src) / chunk * chunk
	if full > 0 {
		gcmChunks(&g.rk, g.nr, &s.ctr, &g.hkeys, &s.x, &dst[0], &src[0], full/chunk, encrypt)
	}
	rest := src[full:]
	if len(rest) == 0 {
		return
	}
	out := dst[full:]
	if !encrypt {
		g.ghash(s, rest)
	}
	var ks [aes.BlockSize]byte
	for i := 0; i < len(rest); i += aes.BlockSize {
		encryptBlock(&g.rk, g.nr, &ks, &s.ctr)
		binary.BigEndian.PutUint32(s.ctr[12:], binary.BigEndian.Uint32(s.ctr[12:])+1)
		subtle.XORBytes(out[i:], rest[i:], ks[:])
	}
	if encrypt {
		g.ghash(s, out)
	}
}

// ghash hashes p, the last block padded with zeros.
func (g *AEAD) ghash(s *state, p []byte) {
	full := len(p) &^ (aes.BlockSize - 1)
	if full > 0 {
		ghashBlocks(&g.hkeys[15], &s.x[0], &p[0], full/aes.BlockSize)
	}
	if full < len(p) {
		var last [aes.BlockSize]byte
		copy(last[:], p[full:])
		ghashBlocks(&g.hkeys[15], &s.x[0], &last[0], 1)
	}
}

// finish hashes the lengths and writes the tag.
func (g *AEAD) finish(s *state, tag []byte, adLen, textLen int) {
	var lens [aes.BlockSize]byte
	binary.BigEndian.PutUint64(lens[:8], uint64(adLen)*8)
	binary.BigEndian.PutUint64(lens[8:], uint64(textLen)*8)
	ghashBlocks(&g.hkeys[15], &s.x[0], &lens[0], 1)
	binary.BigEndian.PutUint64(tag[:8], s.x[0][1])
	binary.BigEndian.PutUint64(tag[8:], s.x[0][0])
	subtle.XORBytes(tag, tag, s.mask[:])
}

// montMul returns a*b/y^128 mod Q for reversed field elements (see
// doc.go), in Go for the key setup; the assembly does the same.
func montMul(a, b [2]uint64) [2]uint64 {
	const c2 = 0xc200000000000000
	lo := clmul(a[0], b[0])
	hi := clmul(a[1], b[1])
	m0, m1 := clmul(a[0], b[1]), clmul(a[1], b[0])
	mi := [2]uint64{m0[0] ^ m1[0], m0[1] ^ m1[1]}
	t := clmul(lo[0], c2)
	mi = [2]uint64{mi[0] ^ lo[1] ^ t[0], mi[1] ^ lo[0] ^ t[1]}
	t = clmul(mi[0], c2)
	return [2]uint64{hi[0] ^ mi[1] ^ t[0], hi[1] ^ mi[0] ^ t[1]}
}

// clmul is the carry-less product of a and b, low word first, in
// constant time: b is the secret hash key.
func clmul(a, b uint64) [2]uint64 {
	var lo, hi uint64
	for i := range 64 {
		mask := -(b >> i & 1)
		lo ^= a << i & mask
		hi ^= a >> (64 - i) & mask // a >> 64 is 0
	}
	return [2]uint64{lo, hi}
}

// expandKey writes the AES round keys of key (FIPS 197 section 5.2) to
// rk, in the byte order AESENC takes them, and returns the rounds. The
// S-box is AESENCLAST's (subWord), not a table: no memory access depends
// on the key.
func expandKey(key, rk []byte) int {
	nk := len(key) / 4
	nr := nk + 6
	w := make([]uint32, 4*(nr+1))
	for i := range nk {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := nk; i < len(w); i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = subWord(bits.RotateLeft32(t, 8)) ^ rcon<<24
			rcon = uint32(xtime(byte(rcon)))
		case nk > 6 && i%nk == 4:
			t = subWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(rk[4*i:], v)
	}
	return nr
}

// xtime multiplies by x in AES's GF(2^8), for the round constants.
func xtime(b byte) byte {
	if b&0x80 != 0 {
		return b<<1 ^ 0x1b
	}
	return b << 1
}

func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
