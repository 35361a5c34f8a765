//go:build amd64 && !purego

package chacha

import "golang.org/x/sys/cpu"

// Accelerated reports whether XORKeyStream runs the AVX-512 assembly.
var Accelerated = cpu.X86.HasAVX512F

// xorChunks XORs chunks*1024 bytes of src with the keystream of state
// (RFC 8439 layout: constants, key, 32-bit counter, nonce) into dst, and
// advances state[12] by 16 per chunk.
//
//go:noescape
func xorChunks(dst, src *byte, chunks int, state *[16]uint32)

// PolyAccelerated reports whether Sum and Verify run the AVX-512 IFMA
// assembly for long messages.
var PolyAccelerated = cpu.X86.HasAVX512F && cpu.X86.HasAVX512IFMA

// polyGroups runs the eight Poly1305 accumulators over groups*128 bytes
// of msg (groups > 0) and leaves their limbs in acc; see poly1305.go.
//
//go:noescape
func polyGroups(acc *[3][8]uint64, msg *byte, groups int, key *vectorKey)
