//go:build !amd64 || purego

package chacha

// Accelerated reports whether XORKeyStream runs the AVX-512 assembly.
var Accelerated = false

func xorChunks(dst, src *byte, chunks int, state *[16]uint32) {
	panic("chacha: no assembly on this platform")
}
