// Package aesgcm is AES-GCM (NIST SP 800-38D) with AVX-512: VAES and
// VPCLMULQDQ on ZMM registers, sixteen blocks per pass, for
// aes128-gcm@openssh.com and aes256-gcm@openssh.com.
//
// Why it is written here: the standard library's AES-GCM assembly works
// on one 128-bit block per instruction (AES-NI and PCLMULQDQ on XMM
// registers); OpenSSL, and so OpenSSH's ssh, uses VAES and VPCLMULQDQ on
// 512-bit registers where the processor has them, four blocks per
// instruction. With the standard library amiko's client spent about three
// times what ssh did on the cipher in a download. No maintained Go
// library has VAES AES-GCM.
//
// The layout follows the usual construction (Gueron and Kounavis's
// carry-less multiplication white paper; Linux's aes-gcm-avx10 code
// documents the same steps): GHASH works on byte-reversed blocks, where
// the field's bit order becomes a polynomial in y = 1/x modulo
// Q(y) = y^128 + y^127 + y^126 + y^121 + 1, and products are reduced
// Montgomery-style, dividing by y^128 in two 64-bit folds by
// y^63 + y^62 + y^57 (0xc2 << 56). That division is paid for once by
// keeping the hash key as H*y: with a = a(x) and b = b(x) reversed into
// A(y), B(y), A*B = y^127 * (reversed a*b) mod Q, so
// A*(B*y)/y^128 = reversed a*b. The sixteen powers of H that one pass
// needs (each times y) are computed in Go when the key is set.
//
// Counters are kept byte-reversed, four per register, so that VPADDD
// steps them: it wraps the 32-bit counter without touching the nonce, as
// GCM's inc32 does. The last blocks of a message, short of sixteen,
// and the tag's mask go through one-block AES and GHASH loops. The round
// keys are expanded in Go (FIPS 197's schedule, with the S-box computed
// by AESENCLAST).
//
// Accelerated reports whether the machine runs it; elsewhere New fails
// and the transport uses crypto/cipher's GCM.
package aesgcm
