package aesgcm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

func reference(t testing.TB, key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func needAsm(t testing.TB) {
	if !Accelerated {
		t.Skip("no AVX-512 VAES and VPCLMULQDQ here: the transport uses crypto/cipher's GCM")
	}
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

func TestSubWord(t *testing.T) {
	needAsm(t)
	// FIPS 197's S-box: 00 -> 63, 01 -> 7c, 53 -> ed, ff -> 16.
	if got := subWord(0x000153ff); got != 0x637ced16 {
		t.Fatalf("subWord(000153ff) = %08x, want 637ced16", got)
	}
}

// TestMatchesCryptoCipher seals and opens every length up to three
// chunks and some packet sizes, with AES-128 and AES-256, additional data
// of several lengths, in place and not, against crypto/cipher's GCM.
func TestMatchesCryptoCipher(t *testing.T) {
	needAsm(t)
	rng := rand.New(rand.NewPCG(5, 6))
	lengths := []int{32<<10 + 20, 128<<10 + 28, 256 << 10}
	for n := 0; n <= 3*chunk+17; n++ {
		lengths = append(lengths, n)
	}
	for _, keySize := range []int{16, 32} {
		for i, n := range lengths {
			key := make([]byte, keySize)
			nonce := make([]byte, nonceSize)
			ad := make([]byte, []int{4, 0, 13, 16, 33}[i%5])
			fill(rng, key)
			fill(rng, nonce)
			fill(rng, ad)
			if i%7 == 0 { // counters near a carry out of the low byte
				nonce[11] = 0xff
			}
			plain := make([]byte, n)
			fill(rng, plain)
			ref := reference(t, key)
			g, err := New(key)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.Seal(nil, nonce, plain, ad)
			got := g.Seal(nil, nonce, plain, ad)
			if !bytes.Equal(got, want) {
				t.Fatalf("AES-%d len %d ad %d: sealed differs from crypto/cipher's", keySize*8, n, len(ad))
			}
			buf := append([]byte(nil), plain...)
			if got := g.Seal(buf[:0], nonce, buf, ad); !bytes.Equal(got, want) {
				t.Fatalf("len %d: sealed in place differs", n)
			}
			opened, err := g.Open(nil, nonce, want, ad)
			if err != nil || !bytes.Equal(opened, plain) {
				t.Fatalf("len %d: open: %v", n, err)
			}
			ct := append([]byte(nil), want...)
			if opened, err := g.Open(ct[:0], nonce, ct, ad); err != nil || !bytes.Equal(opened, plain) {
				t.Fatalf("len %d: open in place: %v", n, err)
			}
		}
	}
}

// TestRejectsTampering flips bits of the ciphertext, the tag and the
// additional data: each must fail, and leave no plaintext behind.
func TestRejectsTampering(t *testing.T) {
	needAsm(t)
	rng := rand.New(rand.NewPCG(7, 8))
	key := make([]byte, 16)
	nonce := make([]byte, nonceSize)
	fill(rng, key)
	g, _ := New(key)
	plain := make([]byte, 2*chunk+40)
	fill(rng, plain)
	ad := []byte{0, 0, 2, 40}
	sealed := g.Seal(nil, nonce, plain, ad)
	for _, pos := range []int{0, 17, chunk, 2*chunk + 39, len(sealed) - 1} {
		bad := append([]byte(nil), sealed...)
		bad[pos] ^= 4
		out := make([]byte, 0, len(bad))
		if _, err := g.Open(out, nonce, bad, ad); err == nil {
			t.Fatalf("byte %d flipped: opened", pos)
		}
		if bytes.Count(out[:len(plain)], []byte{0}) != len(plain) {
			t.Fatalf("byte %d flipped: plaintext left in dst", pos)
		}
	}
	if _, err := g.Open(nil, nonce, sealed, []byte{0, 0, 2, 41}); err == nil {
		t.Fatal("other additional data: opened")
	}
	if _, err := g.Open(nil, nonce, sealed[:15], ad); err == nil {
		t.Fatal("shorter than a tag: opened")
	}
}

func FuzzMatchesCryptoCipher(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), []byte("nonce"), []byte{0, 0, 1, 0}, 300, uint8(0))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 12), []byte{}, 2*chunk+15, uint8(3))
	f.Fuzz(func(t *testing.T, k, n, ad []byte, length int, seed uint8) {
		needAsm(t)
		key := make([]byte, 16+16*int(seed&1))
		copy(key, k)
		nonce := make([]byte, nonceSize)
		copy(nonce, n)
		length &= 1<<14 - 1
		plain := make([]byte, length)
		for i := range plain {
			plain[i] = byte(i) ^ seed
		}
		g, err := New(key)
		if err != nil {
			t.Fatal(err)
		}
		want := reference(t, key).Seal(nil, nonce, plain, ad)
		if got := g.Seal(nil, nonce, plain, ad); !bytes.Equal(got, want) {
			t.Fatalf("len %d: sealed differs", length)
		}
		if got, err := g.Open(nil, nonce, want, ad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("len %d: open: %v", length, err)
		}
	})
}

const benchSize = 128 << 10

func benchmarkOpen(b *testing.B, a cipher.AEAD) {
	nonce := make([]byte, nonceSize)
	ad := []byte{0, 2, 0, 28}
	sealed := a.Seal(nil, nonce, make([]byte, benchSize), ad)
	buf := make([]byte, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := a.Open(buf[:0], nonce, sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	needAsm(b)
	g, _ := New(make([]byte, 16))
	benchmarkOpen(b, g)
}

func BenchmarkOpenCryptoCipher(b *testing.B) {
	benchmarkOpen(b, reference(b, make([]byte, 16)))
}
