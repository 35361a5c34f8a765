package chacha

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// reference is x/crypto's generic ChaCha20, the independent check.
func reference(key *[32]byte, nonce *[12]byte, counter uint32, src []byte) []byte {
	s, err := chacha20.NewUnauthenticatedCipher(key[:], nonce[:])
	if err != nil {
		panic(err)
	}
	s.SetCounter(counter)
	out := make([]byte, len(src))
	s.XORKeyStream(out, src)
	return out
}

// withPaths runs f with the assembly that *accelerated switches (when
// this machine has it) and with the fallback.
func withPaths(t *testing.T, accelerated *bool, f func(t *testing.T)) {
	t.Helper()
	saved := *accelerated
	t.Cleanup(func() { *accelerated = saved })
	if saved {
		t.Run("asm", f)
	} else {
		t.Logf("no AVX-512 for this here: only the fallback is tested")
	}
	*accelerated = false
	t.Run("fallback", f)
	*accelerated = saved
}

// TestRFC8439Vector is RFC 8439 section 2.4.2's encryption example.
func TestRFC8439Vector(t *testing.T) {
	var key [32]byte
	for i := range key {
		key[i] = byte(i)
	}
	nonce := [12]byte{7: 0x4a}
	plain := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want, _ := hex.DecodeString("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d")
	withPaths(t, &Accelerated, func(t *testing.T) {
		got := make([]byte, len(plain))
		New(&key).XORKeyStream(got, plain, &nonce, 1)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %x\nwant %x", got, want)
		}
	})
}

// TestMatchesReference compares every length up to three chunks and some
// packet sizes, at random keys, nonces and counters, in place and not, and
// checks that nothing past len(src) is written.
func TestMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{128<<10 + 28, 32<<10 + 12, 256 << 10}
	for n := 0; n <= 3*chunkSize+1; n++ {
		lengths = append(lengths, n)
	}
	withPaths(t, &Accelerated, func(t *testing.T) {
		for _, n := range lengths {
			var key [32]byte
			var nonce [12]byte
			fill(rng, key[:])
			fill(rng, nonce[:])
			counter := rng.Uint32N(1 << 20)
			src := make([]byte, n)
			fill(rng, src)
			want := reference(&key, &nonce, counter, src)
			c := New(&key)

			dst := make([]byte, n+64)
			for i := range dst {
				dst[i] = 0xa5
			}
			c.XORKeyStream(dst, src, &nonce, counter)
			if !bytes.Equal(dst[:n], want) {
				t.Fatalf("len %d counter %d: differs from x/crypto's chacha20", n, counter)
			}
			if bytes.Count(dst[n:], []byte{0xa5}) != 64 {
				t.Fatalf("len %d: wrote past the end of src", n)
			}
			c.XORKeyStream(src, src, &nonce, counter)
			if !bytes.Equal(src, want) {
				t.Fatalf("len %d: in place differs", n)
			}
		}
	})
}

// TestMatchesAEADKeystream checks the equivalence the transport relied on
// before: the AEAD's Seal encrypts with the keystream from counter 1.
func TestMatchesAEADKeystream(t *testing.T) {
	var key [32]byte
	var nonce [12]byte
	key[3], nonce[11] = 9, 1
	src := bytes.Repeat([]byte("amiko"), 30000)
	aead, _ := chacha20poly1305.New(key[:])
	want := aead.Seal(nil, nonce[:], src, nil)[:len(src)]
	got := make([]byte, len(src))
	New(&key).XORKeyStream(got, src, &nonce, 1)
	if !bytes.Equal(got, want) {
		t.Fatal("differs from the AEAD's keystream")
	}
}

func TestCounterOverflowPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var key [32]byte
	var nonce [12]byte
	New(&key).XORKeyStream(make([]byte, 65), make([]byte, 65), &nonce, 1<<32-1)
}

func FuzzMatchesReference(f *testing.F) {
	f.Add([]byte("key"), []byte("nonce"), uint32(1), 1000)
	f.Add([]byte{}, []byte{}, uint32(0), 2*chunkSize+5)
	f.Fuzz(func(t *testing.T, k, n []byte, counter uint32, length int) {
		var key [32]byte
		var nonce [12]byte
		copy(key[:], k)
		copy(nonce[:], n)
		length = length & (1<<14 - 1)
		counter &= 1<<31 - 1
		src := make([]byte, length)
		for i := range src {
			src[i] = byte(i * 7)
		}
		got := make([]byte, length)
		New(&key).XORKeyStream(got, src, &nonce, counter)
		if !bytes.Equal(got, reference(&key, &nonce, counter, src)) {
			t.Fatalf("len %d counter %d: differs", length, counter)
		}
	})
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

const benchSize = 128 << 10

func BenchmarkXORKeyStream(b *testing.B) {
	var key [32]byte
	var nonce [12]byte
	c := New(&key)
	buf := make([]byte, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		c.XORKeyStream(buf, buf, &nonce, 1)
	}
}

// BenchmarkAEADSeal is the route this package replaces: the keystream
// through x/crypto's AEAD, with its Poly1305 computed and dropped.
func BenchmarkAEADSeal(b *testing.B) {
	var nonce [12]byte
	aead, _ := chacha20poly1305.New(make([]byte, 32))
	buf := make([]byte, benchSize+16)
	b.SetBytes(benchSize)
	for b.Loop() {
		aead.Seal(buf[:0], nonce[:], buf[:benchSize], nil)
	}
}
