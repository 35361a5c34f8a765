package zlib

import (
	stdadler "hash/adler32"
	"testing"
)

func TestAdler32(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 5551, 5552, 5553, 11104, 65536, 100003} {
		for seed := range uint64(3) {
			b := randomData(seed, n)
			if seed == 2 {
				for i := range b {
					b[i] = 0xff // the largest sums
				}
			}
			want := stdadler.Checksum(b)
			if got := adler32(1, b); got != want {
				t.Fatalf("n=%d seed=%d: %08x, want %08x", n, seed, got, want)
			}
			// In pieces.
			a := uint32(1)
			for i := 0; i < len(b); i += 1 + i%977 {
				a = adler32(a, b[i:min(len(b), i+1+i%977)])
			}
			if a != want {
				t.Fatalf("n=%d seed=%d in pieces: %08x, want %08x", n, seed, a, want)
			}
		}
	}
}

func BenchmarkAdler32(b *testing.B) {
	buf := randomData(1, 32<<10)
	b.SetBytes(int64(len(buf)))
	for range b.N {
		adler32(1, buf)
	}
}

func BenchmarkStdlibAdler32(b *testing.B) {
	buf := randomData(1, 32<<10)
	b.SetBytes(int64(len(buf)))
	for range b.N {
		stdadler.Checksum(buf)
	}
}
