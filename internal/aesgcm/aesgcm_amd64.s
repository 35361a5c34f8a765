//go:build amd64 && !purego

#include "textflag.h"

// See doc.go for the construction.

#define AESROUND(K) \
	VAESENC K, Z0, Z0; VAESENC K, Z1, Z1; VAESENC K, Z2, Z2; VAESENC K, Z3, Z3

#define AESLAST(K) \
	VAESENCLAST K, Z0, Z0; VAESENCLAST K, Z1, Z1; VAESENCLAST K, Z2, Z2; VAESENCLAST K, Z3, Z3

// MULACC adds the four products of the blocks in G and the keys at K to
// the low (Z12), middle (Z13) and high (Z14) halves.
#define MULACC(G, K) \
	VPCLMULQDQ $0x00, K, G, Z15; VPXORD Z15, Z12, Z12; \
	VPCLMULQDQ $0x11, K, G, Z15; VPXORD Z15, Z14, Z14; \
	VPCLMULQDQ $0x01, K, G, Z15; VPXORD Z15, Z13, Z13; \
	VPCLMULQDQ $0x10, K, G, Z15; VPXORD Z15, Z13, Z13

// FOLD adds up the four 128-bit lanes of Z into its lowest.
#define FOLD(Z, Y, X) \
	VEXTRACTI64X4 $1, Z, Y15; VPXOR Y15, Y, Y; \
	VEXTRACTI128 $1, Y, X15; VPXOR X15, X, X

// REDUCE divides LO + MI*y^64 + HI*y^128 by y^128 modulo Q, leaving the
// result in HI: two folds of 64 bits, each a product by 0xc2<<56.
#define REDUCE(LO, MI, HI) \
	VPCLMULQDQ $0x10, ·gfpoly<>(SB), LO, X15; \
	VPSHUFD $0x4e, LO, LO; \
	VPXOR LO, MI, MI; VPXOR X15, MI, MI; \
	VPCLMULQDQ $0x10, ·gfpoly<>(SB), MI, X15; \
	VPSHUFD $0x4e, MI, MI; \
	VPXOR MI, HI, HI; VPXOR X15, HI, HI

// func gcmChunks(rk *[15 * 16]byte, nr int, ctr *[16]byte, hkeys *[16][2]uint64, x *[4][2]uint64, dst, src *byte, chunks int, encrypt bool)
TEXT ·gcmChunks(SB), NOSPLIT, $0-65
	MOVQ rk+0(FP), AX
	MOVQ nr+8(FP), R8
	MOVQ ctr+16(FP), BX
	MOVQ hkeys+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ dst+40(FP), DI
	MOVQ src+48(FP), SI
	MOVQ chunks+56(FP), CX
	MOVBLZX encrypt+64(FP), DX

	// Round keys in Z16.. (11 or 15 of them), each in all four lanes.
	VBROADCASTI32X4 0(AX), Z16
	VBROADCASTI32X4 16(AX), Z17
	VBROADCASTI32X4 32(AX), Z18
	VBROADCASTI32X4 48(AX), Z19
	VBROADCASTI32X4 64(AX), Z20
	VBROADCASTI32X4 80(AX), Z21
	VBROADCASTI32X4 96(AX), Z22
	VBROADCASTI32X4 112(AX), Z23
	VBROADCASTI32X4 128(AX), Z24
	VBROADCASTI32X4 144(AX), Z25
	VBROADCASTI32X4 160(AX), Z26
	CMPQ R8, $10
	JEQ counters
	VBROADCASTI32X4 176(AX), Z27
	VBROADCASTI32X4 192(AX), Z28
	VBROADCASTI32X4 208(AX), Z29
	VBROADCASTI32X4 224(AX), Z30

counters:
	// Z31: the next four counter blocks, byte-reversed so that the 32-bit
	// counter is the lowest dword of each lane.
	VBROADCASTI32X4 (BX), Z31
	VPSHUFB ·bswap<>(SB), Z31, Z31
	VPADDD ·lanes<>(SB), Z31, Z31

loop:
	VPSHUFB ·bswap<>(SB), Z31, Z0
	VPADDD ·four<>(SB), Z31, Z31
	VPSHUFB ·bswap<>(SB), Z31, Z1
	VPADDD ·four<>(SB), Z31, Z31
	VPSHUFB ·bswap<>(SB), Z31, Z2
	VPADDD ·four<>(SB), Z31, Z31
	VPSHUFB ·bswap<>(SB), Z31, Z3
	VPADDD ·four<>(SB), Z31, Z31

	VPXORD Z16, Z0, Z0
	VPXORD Z16, Z1, Z1
	VPXORD Z16, Z2, Z2
	VPXORD Z16, Z3, Z3
	AESROUND(Z17)
	AESROUND(Z18)
	AESROUND(Z19)
	AESROUND(Z20)
	AESROUND(Z21)
	AESROUND(Z22)
	AESROUND(Z23)
	AESROUND(Z24)
	AESROUND(Z25)
	CMPQ R8, $10
	JEQ last10
	AESROUND(Z26)
	AESROUND(Z27)
	AESROUND(Z28)
	AESROUND(Z29)
	AESLAST(Z30)
	JMP crypted
last10:
	AESLAST(Z26)

crypted:
	VMOVDQU64 0(SI), Z4
	VMOVDQU64 64(SI), Z5
	VMOVDQU64 128(SI), Z6
	VMOVDQU64 192(SI), Z7
	VPXORD Z4, Z0, Z0
	VPXORD Z5, Z1, Z1
	VPXORD Z6, Z2, Z2
	VPXORD Z7, Z3, Z3
	VMOVDQU64 Z0, 0(DI)
	VMOVDQU64 Z1, 64(DI)
	VMOVDQU64 Z2, 128(DI)
	VMOVDQU64 Z3, 192(DI)

	// GHASH the ciphertext: what was written when encrypting, what was
	// read when decrypting.
	TESTQ DX, DX
	JNZ hashout
	VPSHUFB ·bswap<>(SB), Z4, Z8
	VPSHUFB ·bswap<>(SB), Z5, Z9
	VPSHUFB ·bswap<>(SB), Z6, Z10
	VPSHUFB ·bswap<>(SB), Z7, Z11
	JMP hash
hashout:
	VPSHUFB ·bswap<>(SB), Z0, Z8
	VPSHUFB ·bswap<>(SB), Z1, Z9
	VPSHUFB ·bswap<>(SB), Z2, Z10
	VPSHUFB ·bswap<>(SB), Z3, Z11
hash:
	VPXORD (R10), Z8, Z8 // the accumulator joins the first block
	VPCLMULQDQ $0x00, 0(R9), Z8, Z12
	VPCLMULQDQ $0x11, 0(R9), Z8, Z14
	VPCLMULQDQ $0x01, 0(R9), Z8, Z13
	VPCLMULQDQ $0x10, 0(R9), Z8, Z15
	VPXORD Z15, Z13, Z13
	MULACC(Z9, 64(R9))
	MULACC(Z10, 128(R9))
	MULACC(Z11, 192(R9))
	FOLD(Z12, Y12, X12)
	FOLD(Z13, Y13, X13)
	FOLD(Z14, Y14, X14)
	REDUCE(X12, X13, X14)
	VMOVDQU X14, (R10)

	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JNZ loop

	VPSHUFB ·bswap<>(SB), Z31, Z31
	VMOVDQU64 X31, (BX)
	VZEROUPPER
	RET

// func ghashBlocks(h *[2]uint64, x *[2]uint64, p *byte, n int)
TEXT ·ghashBlocks(SB), NOSPLIT, $0-32
	MOVQ h+0(FP), AX
	MOVQ x+8(FP), BX
	MOVQ p+16(FP), SI
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ done
	VMOVDQU (AX), X1
	VMOVDQU (BX), X0
	VMOVDQU ·bswap<>(SB), X2

block:
	VMOVDQU (SI), X3
	VPSHUFB X2, X3, X3
	VPXOR X3, X0, X0
	VPCLMULQDQ $0x00, X1, X0, X12
	VPCLMULQDQ $0x11, X1, X0, X14
	VPCLMULQDQ $0x01, X1, X0, X13
	VPCLMULQDQ $0x10, X1, X0, X15
	VPXOR X15, X13, X13
	REDUCE(X12, X13, X14)
	VMOVDQA X14, X0
	ADDQ $16, SI
	DECQ CX
	JNZ block

	VMOVDQU X0, (BX)
	VZEROUPPER

done:
	RET

// func encryptBlock(rk *[15 * 16]byte, nr int, dst, src *[16]byte)
TEXT ·encryptBlock(SB), NOSPLIT, $0-32
	MOVQ rk+0(FP), AX
	MOVQ nr+8(FP), CX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVOU (SI), X0
	MOVOU (AX), X1
	PXOR X1, X0
	DECQ CX

round:
	ADDQ $16, AX
	MOVOU (AX), X1
	AESENC X1, X0
	DECQ CX
	JNZ round

	MOVOU 16(AX), X1
	AESENCLAST X1, X0
	MOVOU X0, (DI)
	RET

// func subWord(w uint32) uint32
TEXT ·subWord(SB), NOSPLIT, $0-12
	MOVL w+0(FP), AX
	MOVQ AX, X0
	PSHUFD $0, X0, X0
	PXOR X1, X1
	AESENCLAST X1, X0
	MOVQ X0, AX
	MOVL AX, ret+8(FP)
	RET

// Byte reversal of each 128-bit lane, for VPSHUFB.
DATA ·bswap<>+0(SB)/8, $0x08090a0b0c0d0e0f
DATA ·bswap<>+8(SB)/8, $0x0001020304050607
DATA ·bswap<>+16(SB)/8, $0x08090a0b0c0d0e0f
DATA ·bswap<>+24(SB)/8, $0x0001020304050607
DATA ·bswap<>+32(SB)/8, $0x08090a0b0c0d0e0f
DATA ·bswap<>+40(SB)/8, $0x0001020304050607
DATA ·bswap<>+48(SB)/8, $0x08090a0b0c0d0e0f
DATA ·bswap<>+56(SB)/8, $0x0001020304050607
GLOBL ·bswap<>(SB), RODATA|NOPTR, $64

// Counter offsets of the four lanes, and the step of one register.
DATA ·lanes<>+0(SB)/8, $0
DATA ·lanes<>+8(SB)/8, $0
DATA ·lanes<>+16(SB)/8, $1
DATA ·lanes<>+24(SB)/8, $0
DATA ·lanes<>+32(SB)/8, $2
DATA ·lanes<>+40(SB)/8, $0
DATA ·lanes<>+48(SB)/8, $3
DATA ·lanes<>+56(SB)/8, $0
GLOBL ·lanes<>(SB), RODATA|NOPTR, $64

DATA ·four<>+0(SB)/8, $4
DATA ·four<>+8(SB)/8, $0
DATA ·four<>+16(SB)/8, $4
DATA ·four<>+24(SB)/8, $0
DATA ·four<>+32(SB)/8, $4
DATA ·four<>+40(SB)/8, $0
DATA ·four<>+48(SB)/8, $4
DATA ·four<>+56(SB)/8, $0
GLOBL ·four<>(SB), RODATA|NOPTR, $64

// Q's reduction constants: 1 and y^63 + y^62 + y^57.
DATA ·gfpoly<>+0(SB)/8, $1
DATA ·gfpoly<>+8(SB)/8, $0xc200000000000000
GLOBL ·gfpoly<>(SB), RODATA|NOPTR, $16
