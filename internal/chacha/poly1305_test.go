package chacha

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the reference
)

func checkPoly(t *testing.T, key *[32]byte, msg []byte) {
	t.Helper()
	var want, got [16]byte
	poly1305.Sum(&want, msg, key)
	Sum(&got, msg, key)
	if got != want {
		t.Fatalf("len %d key %x: tag %x, x/crypto's %x", len(msg), key[:], got, want)
	}
	if !Verify(&want, msg, key) {
		t.Fatalf("len %d: the right tag does not verify", len(msg))
	}
	want[len(msg)%16] ^= 1
	if Verify(&want, msg, key) {
		t.Fatalf("len %d: a wrong tag verifies", len(msg))
	}
}

// TestPolyMatchesReference compares tags with x/crypto's for every length
// around the vector code's thresholds and for packet sizes, at random
// keys and messages.
func TestPolyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lengths := []int{0, 1, 15, 16, 17, 128, 1000, 32<<10 + 20, 128<<10 + 36, 256 << 10}
	for n := vectorMin - 40; n <= vectorMin+300; n++ {
		lengths = append(lengths, n)
	}
	withPaths(t, &PolyAccelerated, func(t *testing.T) {
		for _, n := range lengths {
			var key [32]byte
			fill(rng, key[:])
			msg := make([]byte, n)
			fill(rng, msg)
			checkPoly(t, &key, msg)
		}
	})
}

// TestPolyExtremes drives the limbs to their bounds: all-ones messages
// and keys (r as large as clamping allows, s all ones), all-zero ones,
// and messages whose blocks sit just below and above the prime.
func TestPolyExtremes(t *testing.T) {
	ones := bytes.Repeat([]byte{0xff}, 64<<10+15)
	var maxKey, zeroKey [32]byte
	for i := range maxKey {
		maxKey[i] = 0xff
	}
	nearP := make([]byte, 4096)
	for i := 0; i < len(nearP); i += 16 {
		copy(nearP[i:], bytes.Repeat([]byte{0xff}, 16))
		nearP[i] = 0xfb - byte(i/16%3) // around 2^128 - 5, with the added bit
	}
	withPaths(t, &PolyAccelerated, func(t *testing.T) {
		for _, n := range []int{vectorMin, 4096, len(ones)} {
			checkPoly(t, &maxKey, ones[:n])
			checkPoly(t, &zeroKey, ones[:n])
			checkPoly(t, &maxKey, make([]byte, n))
		}
		checkPoly(t, &maxKey, nearP)
	})
}

func FuzzPolyMatchesReference(f *testing.F) {
	f.Add([]byte("key"), []byte("message"), 2000)
	f.Add(bytes.Repeat([]byte{0xff}, 32), []byte{0xff}, vectorMin)
	f.Fuzz(func(t *testing.T, k, pattern []byte, length int) {
		var key [32]byte
		copy(key[:], k)
		if len(pattern) == 0 {
			pattern = []byte{0}
		}
		length = length & (1<<15 - 1)
		msg := make([]byte, length)
		for i := range msg {
			msg[i] = pattern[i%len(pattern)] ^ byte(i>>8)
		}
		checkPoly(t, &key, msg)
	})
}

// The Poly1305 benchmarks run at a 128 KiB packet and around vectorMin,
// where the IFMA code starts to pay: sumVector directly, so that short
// sizes measure it too.
func BenchmarkPolySum(b *testing.B) { benchmarkPoly(b, sumVector) }

func BenchmarkPolyXCrypto(b *testing.B) { benchmarkPoly(b, poly1305.Sum) }

func benchmarkPoly(b *testing.B, sum func(*[16]byte, []byte, *[32]byte)) {
	if !PolyAccelerated {
		b.Skip("no AVX-512 IFMA here")
	}
	for _, n := range []int{1 << 10, 2 << 10, benchSize} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			key := [32]byte{1}
			var tag [16]byte
			buf := make([]byte, n)
			b.SetBytes(int64(n))
			for b.Loop() {
				sum(&tag, buf, &key)
			}
		})
	}
}
