// Package chacha is the two primitives of chacha20-poly1305@openssh.com,
// the ChaCha20 keystream (RFC 8439's block function) and Poly1305, in
// AVX-512 assembly on amd64.
//
// Why it is written here: golang.org/x/crypto/chacha20 has no amd64
// assembly (about 0.7 GB/s on the machines amiko is measured on), and the
// fast ChaCha20 in x/crypto lives only inside its chacha20poly1305 AEAD,
// whose Seal also computes a Poly1305 tag over the data. OpenSSH's
// construction authenticates other bytes (the encrypted length and body,
// with no padding or length block), so that tag is computed and thrown
// away on every packet; with this package the body costs the keystream
// alone. No maintained Go library offers an amd64 ChaCha20 keystream.
//
// The assembly runs sixteen blocks at once, one block per 32-bit lane of
// sixteen ZMM registers, with AVX-512F's VPROLD for the rotations, and
// transposes the result into byte order before the XOR. Accelerated
// reports whether this machine runs it; elsewhere (no AVX-512F, another
// architecture, or the purego build tag) XORKeyStream falls back to
// x/crypto's generic code, and the transport keeps its AEAD route instead.
//
// Poly1305: x/crypto's amd64 assembly is scalar, one 16-byte block after
// the other (3.7 GB/s here), and was the larger half of the cost of
// opening a packet once the keystream was fast. Sum and Verify keep
// eight accumulators in the 64-bit lanes of ZMM registers, in radix 2^44
// so that AVX-512 IFMA's 52-bit multiply-adds (VPMADD52LUQ/HUQ) compute
// the products, and multiply each by r^8 per 128 bytes; the last eight
// blocks take the powers r^8..r^1 and the lanes are summed (13 GB/s).
// The remainder, the powers of r and the final reduction are scalar Go
// (math/bits) in this package. Messages under 2 KiB, and machines
// without IFMA, use x/crypto's code.
package chacha
