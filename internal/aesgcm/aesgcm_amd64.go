//go:build amd64 && !purego

package aesgcm

import "golang.org/x/sys/cpu"

// Accelerated reports whether this machine runs the assembly: AVX-512
// with VAES and VPCLMULQDQ.
var Accelerated = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL &&
	cpu.X86.HasAVX512VAES && cpu.X86.HasAVX512VPCLMULQDQ

// gcmChunks en- or decrypts chunks*256 bytes of src into dst in counter
// mode from ctr (which it advances) and hashes the ciphertext into x.
//
//go:noescape
func gcmChunks(rk *[15 * 16]byte, nr int, ctr *[16]byte, hkeys *[16][2]uint64, x *[4][2]uint64, dst, src *byte, chunks int, encrypt bool)

// ghashBlocks hashes n 16-byte blocks of p into x with the key h (H*y).
//
//go:noescape
func ghashBlocks(h *[2]uint64, x *[2]uint64, p *byte, n int)

// encryptBlock encrypts one block with the round keys.
//
//go:noescape
func encryptBlock(rk *[15 * 16]byte, nr int, dst, src *[16]byte)

// subWord applies the AES S-box to each byte of w (AESENCLAST on w in
// every column, where ShiftRows moves nothing).
//
//go:noescape
func subWord(w uint32) uint32
