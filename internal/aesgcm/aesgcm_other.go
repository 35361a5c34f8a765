//go:build !amd64 || purego

package aesgcm

// Accelerated reports whether this machine runs the assembly: AVX-512
// with VAES and VPCLMULQDQ.
var Accelerated = false

func gcmChunks(rk *[15 * 16]byte, nr int, ctr *[16]byte, hkeys *[16][2]uint64, x *[4][2]uint64, dst, src *byte, chunks int, encrypt bool) {
	panic("aesgcm: no assembly on this platform")
}

func ghashBlocks(h *[2]uint64, x *[2]uint64, p *byte, n int) {
	panic("aesgcm: no assembly on this platform")
}

func encryptBlock(rk *[15 * 16]byte, nr int, dst, src *[16]byte) {
	panic("aesgcm: no assembly on this platform")
}

func subWord(w uint32) uint32 {
	panic("aesgcm: no assembly on this platform")
}
