package chacha

import (
	"crypto/subtle"
	"encoding/binary"
	"math/bits"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the fallback and short messages; OpenSSH's construction needs raw Poly1305
)

// vectorMin is the shortest message the AVX-512 IFMA Poly1305 takes:
// it costs about 320 ns a message beyond x/crypto's (the powers of r and
// the lanes' sum), so it is slower up to about 1.7 KiB (1 KiB: 400
// against 271 ns; 2 KiB: 471 against 539; go test -bench Poly).
const vectorMin = 2048

// Sum writes the Poly1305 tag of msg under the one-time key to out.
func Sum(out *[16]byte, msg []byte, key *[32]byte) {
	if !PolyAccelerated || len(msg) < vectorMin {
		poly1305.Sum(out, msg, key)
		return
	}
	sumVector(out, msg, key)
}

// Verify reports whether tag is msg's Poly1305 tag under key, in constant
// time.
func Verify(tag *[16]byte, msg []byte, key *[32]byte) bool {
	if !PolyAccelerated || len(msg) < vectorMin {
		return poly1305.Verify(tag, msg, key)
	}
	var sum [16]byte
	sumVector(&sum, msg, key)
	return subtle.ConstantTimeCompare(sum[:], tag[:]) == 1
}

// The vector code keeps eight accumulators, one per 64-bit lane, each a
// number in radix 2^44 (limbs of 44, 44 and 42 bits) so that IFMA's
// 52-bit multiplies take them. Each 128 bytes add the next eight blocks
// to the lanes and multiply every lane by r^8; the last eight blocks are
// multiplied instead by the power of r that their place in the message
// needs, and the lanes are summed. Blocks short of a multiple of eight
// are finished by the scalar code here.

// laneBlock is the block (of eight) each lane holds: the loads interleave
// the two halves of 128 bytes (VPUNPCKLQDQ).
var laneBlock = [8]int{0, 4, 1, 5, 2, 6, 3, 7}

// vectorKey is what the assembly reads: r^8 and, per lane, the power of r
// for the last eight blocks, each as limbs r0, r1, r2 and the reduction
// multiples 20*r1 and 20*r2 (2^132 = 4*2^130 = 4*5 mod p).
type vectorKey struct {
	r8    [5]uint64
	lanes [5][8]uint64
}

const (
	mask44 = 1<<44 - 1
	mask42 = 1<<42 - 1
)

func sumVector(out *[16]byte, msg []byte, key *[32]byte) {
	r0 := binary.LittleEndian.Uint64(key[0:]) & 0x0FFFFFFC0FFFFFFF
	r1 := binary.LittleEndian.Uint64(key[8:]) & 0x0FFFFFFC0FFFFFFC

	var vk vectorKey
	p := elem{r0, r1, 0}
	for k := 1; k <= 8; k++ {
		if k > 1 {
			p = p.mul(r0, r1).reduce()
		}
		l := p.limbs()
		if k == 8 {
			vk.r8 = l
		}
		for lane, b := range laneBlock {
			if 8-b == k {
				for i := range l {
					vk.lanes[i][lane] = l[i]
				}
			}
		}
	}

	groups := len(msg) / 128
	var acc [3][8]uint64
	polyGroups(&acc, &msg[0], groups, &vk)
	h := sumLanes(&acc)

	rest := msg[groups*128:]
	for len(rest) >= 16 {
		h = h.add(binary.LittleEndian.Uint64(rest), binary.LittleEndian.Uint64(rest[8:]), 1).mul(r0, r1)
		rest = rest[16:]
	}
	if len(rest) > 0 {
		var last [16]byte
		copy(last[:], rest)
		last[len(rest)] = 1
		h = h.add(binary.LittleEndian.Uint64(last[:]), binary.LittleEndian.Uint64(last[8:]), 0).mul(r0, r1)
	}

	h = h.reduce()
	s0 := binary.LittleEndian.Uint64(key[16:])
	s1 := binary.LittleEndian.Uint64(key[24:])
	t0, c := bits.Add64(h[0], s0, 0)
	t1, _ := bits.Add64(h[1], s1, c)
	binary.LittleEndian.PutUint64(out[0:], t0)
	binary.LittleEndian.PutUint64(out[8:], t1)
}

// elem is a number mod 2^130-5 in radix 2^64, partly reduced: elem[2] is
// at most 4, so the value is below 2^131 - 10 (twice the prime).
type elem [3]uint64

// add adds the 128-bit block m0, m1 and hibit*2^128.
func (h elem) add(m0, m1, hibit uint64) elem {
	var c uint64
	h[0], c = bits.Add64(h[0], m0, 0)
	h[1], c = bits.Add64(h[1], m1, c)
	h[2] += c + hibit
	return h
}

// mul returns h*r, partly reduced, for a clamped r (r0, r1 < 2^60).
func (h elem) mul(r0, r1 uint64) elem {
	a1, a0 := bits.Mul64(h[0], r0)
	b1, b0 := bits.Mul64(h[1], r0)
	c1, c0 := bits.Mul64(h[0], r1)
	d1, d0 := bits.Mul64(h[1], r1)
	// h[2] < 8 and r0, r1 < 2^60: these products and sums fit.
	t0 := a0
	t1, c := bits.Add64(a1, b0, 0)
	t2 := b1 + h[2]*r0 + c
	t1, c = bits.Add64(t1, c0, 0)
	t2 += c1 + c
	t2, c = bits.Add64(t2, d0, 0)
	t3 := d1 + h[2]*r1 + c
	// t = t mod 2^130 + 5*(t >> 130), as (t mod 2^130) + 4x + x.
	r := elem{t0, t1, t2 & 3}
	x0, x1 := t2&^3, t3
	r[0], c = bits.Add64(r[0], x0, 0)
	r[1], c = bits.Add64(r[1], x1, c)
	r[2] += c
	x0, x1 = x0>>2|x1<<62, x1>>2
	r[0], c = bits.Add64(r[0], x0, 0)
	r[1], c = bits.Add64(r[1], x1, c)
	r[2] += c
	return r
}

// reduce returns h mod 2^130-5, fully reduced, in constant time.
func (h elem) reduce() elem {
	t0, b := bits.Sub64(h[0], 0xFFFFFFFFFFFFFFFB, 0)
	t1, b := bits.Sub64(h[1], 0xFFFFFFFFFFFFFFFF, b)
	t2, b := bits.Sub64(h[2], 3, b)
	keep := -b // all ones when h < p: keep h
	return elem{h[0]&keep | t0&^keep, h[1]&keep | t1&^keep, h[2]&keep | t2&^keep}
}

// limbs returns a fully reduced h in radix 2^44, with 20 times the upper
// two limbs.
func (h elem) limbs() [5]uint64 {
	l0 := h[0] & mask44
	l1 := (h[0]>>44 | h[1]<<20) & mask44
	l2 := h[1]>>24 | h[2]<<40
	return [5]uint64{l0, l1, l2, 20 * l1, 20 * l2}
}

// sumLanes adds the eight radix-2^44 accumulators into one elem.
func sumLanes(acc *[3][8]uint64) elem {
	var l [3]uint64
	for i := range l {
		for _, v := range acc[i] {
			l[i] += v // each below 2^45: the sums fit
		}
	}
	// value = l0 + l1*2^44 + l2*2^88
	var h elem
	var c uint64
	h[0], c = bits.Add64(l[0], l[1]<<44, 0)
	h[1], c = bits.Add64(l[1]>>20, l[2]<<24, c)
	h[2] = l[2]>>40 + c
	// Fold everything at 2^130 and above back: x*2^130 = 5x.
	x := h[2] >> 2
	h[2] &= 3
	h[0], c = bits.Add64(h[0], 5*x, 0)
	h[1], c = bits.Add64(h[1], 0, c)
	h[2] += c
	return h
}
