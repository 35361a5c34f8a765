//go:build amd64 && !purego

#include "textflag.h"

// Poly1305 over groups of eight 16-byte blocks with AVX-512 IFMA: Z0-Z2
// hold the limbs (radix 2^44) of eight accumulators, one per 64-bit lane.
// See poly1305.go.

// MULR sets H0, H1, H2 to H*R, partly reduced, for R's limbs R0-R2 and
// reduction multiples S1 = 20*R1, S2 = 20*R2. Z18-Z24 are scratch.
#define MULR(R0, R1, R2, S1, S2) \
	VPXORQ Z18, Z18, Z18; VPXORQ Z19, Z19, Z19; VPXORQ Z20, Z20, Z20; \
	VPXORQ Z21, Z21, Z21; VPXORQ Z22, Z22, Z22; VPXORQ Z23, Z23, Z23; \
	VPMADD52LUQ R0, Z0, Z18; VPMADD52HUQ R0, Z0, Z19; \
	VPMADD52LUQ S2, Z1, Z18; VPMADD52HUQ S2, Z1, Z19; \
	VPMADD52LUQ S1, Z2, Z18; VPMADD52HUQ S1, Z2, Z19; \
	VPMADD52LUQ R1, Z0, Z20; VPMADD52HUQ R1, Z0, Z21; \
	VPMADD52LUQ R0, Z1, Z20; VPMADD52HUQ R0, Z1, Z21; \
	VPMADD52LUQ S2, Z2, Z20; VPMADD52HUQ S2, Z2, Z21; \
	VPMADD52LUQ R2, Z0, Z22; VPMADD52HUQ R2, Z0, Z23; \
	VPMADD52LUQ R1, Z1, Z22; VPMADD52HUQ R1, Z1, Z23; \
	VPMADD52LUQ R0, Z2, Z22; VPMADD52HUQ R0, Z2, Z23; \
	/* The high halves are 2^52 up: 2^8 into the next limb; the top */ \
	/* one's 2^140 is 5*2^10 mod p. */ \
	VPSLLQ $8, Z19, Z19; VPADDQ Z19, Z20, Z1; \
	VPSLLQ $8, Z21, Z21; VPADDQ Z21, Z22, Z2; \
	VPSLLQ $12, Z23, Z24; VPSLLQ $10, Z23, Z23; VPADDQ Z24, Z18, Z0; VPADDQ Z23, Z0, Z0; \
	/* Carry: limb 0 to 1, 1 to 2, and 2's overflow times 5 to 0. */ \
	VPSRLQ $44, Z0, Z24; VPANDQ Z8, Z0, Z0; VPADDQ Z24, Z1, Z1; \
	VPSRLQ $44, Z1, Z24; VPANDQ Z8, Z1, Z1; VPADDQ Z24, Z2, Z2; \
	VPSRLQ $42, Z2, Z24; VPANDQ Z9, Z2, Z2; VPADDQ Z24, Z0, Z0; \
	VPSLLQ $2, Z24, Z24; VPADDQ Z24, Z0, Z0; \
	VPSRLQ $44, Z0, Z24; VPANDQ Z8, Z0, Z0; VPADDQ Z24, Z1, Z1

// func polyGroups(acc *[3][8]uint64, msg *byte, groups int, key *vectorKey)
TEXT ·polyGroups(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), DI
	MOVQ msg+8(FP), SI
	MOVQ groups+16(FP), CX
	MOVQ key+24(FP), AX

	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPBROADCASTQ 0(AX), Z3  // r^8
	VPBROADCASTQ 8(AX), Z4
	VPBROADCASTQ 16(AX), Z5
	VPBROADCASTQ 24(AX), Z6
	VPBROADCASTQ 32(AX), Z7
	MOVQ $0xfffffffffff, DX // 2^44 - 1
	VPBROADCASTQ DX, Z8
	MOVQ $0x3ffffffffff, DX // 2^42 - 1
	VPBROADCASTQ DX, Z9
	MOVQ $0x10000000000, DX // 2^128 in limb 2: the bit after each block
	VPBROADCASTQ DX, Z10

group:
	// Lane 2L holds block L, lane 2L+1 block 4+L.
	VMOVDQU64 0(SI), Z11
	VMOVDQU64 64(SI), Z12
	VPUNPCKLQDQ Z12, Z11, Z13 // low halves
	VPUNPCKHQDQ Z12, Z11, Z14 // high halves
	VPANDQ Z8, Z13, Z15
	VPADDQ Z15, Z0, Z0
	VPSRLQ $44, Z13, Z16
	VPSLLQ $20, Z14, Z17
	VPORQ Z17, Z16, Z16
	VPANDQ Z8, Z16, Z16
	VPADDQ Z16, Z1, Z1
	VPSRLQ $24, Z14, Z17
	VPORQ Z10, Z17, Z17
	VPADDQ Z17, Z2, Z2
	ADDQ $128, SI
	CMPQ CX, $1
	JEQ last
	MULR(Z3, Z4, Z5, Z6, Z7)
	DECQ CX
	JMP group

last:
	// The last eight blocks: each lane times its own power of r.
	VMOVDQU64 40(AX), Z3
	VMOVDQU64 104(AX), Z4
	VMOVDQU64 168(AX), Z5
	VMOVDQU64 232(AX), Z6
	VMOVDQU64 296(AX), Z7
	MULR(Z3, Z4, Z5, Z6, Z7)
	VMOVDQU64 Z0, 0(DI)
	VMOVDQU64 Z1, 64(DI)
	VMOVDQU64 Z2, 128(DI)
	VZEROUPPER
	RET
