//go:build !amd64 || purego

package chacha

// Accelerated reports whether XORKeyStream runs the AVX-512 assembly.
var Accelerated = false

func xorChunks(dst, src *byte, chunks int, state *[16]uint32) {
	panic("chacha: no assembly on this platform")
}

// PolyAccelerated reports whether Sum and Verify run the AVX-512 IFMA
// assembly for long messages.
var PolyAccelerated = false

func polyGroups(acc *[3][8]uint64, msg *byte, groups int, key *vectorKey) {
	panic("chacha: no assembly on this platform")
}
