package zlib

import (
	"bytes"
	czlib "compress/zlib"
	"io"
	"slices"
	"testing"
)

const benchSize = 1 << 20

// benchPackets compresses 1 MiB of text-like data with Deflater (level 6)
// in packets of the given size.
func benchPackets(b *testing.B, size, level int) (plain []byte, pkts [][]byte) {
	plain = textData(b, benchSize)
	d := NewDeflater(level)
	for i := 0; i < len(plain); i += size {
		p, err := d.Deflate(nil, plain[i:min(len(plain), i+size)])
		if err != nil {
			b.Fatal(err)
		}
		pkts = append(pkts, p)
	}
	return plain, pkts
}

func benchInflate(b *testing.B, size int) {
	plain, pkts := benchPackets(b, size, 6)
	benchInflatePackets(b, len(plain), pkts, size)
}

func benchInflatePackets(b *testing.B, total int, pkts [][]byte, maxPacket int) {
	f := NewInflater()
	out := make([]byte, 0, maxPacket)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f.Reset()
		for _, p := range pkts {
			var err error
			out, err = f.Inflate(out[:0], p, maxPacket)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchStdlib decodes the same stream with compress/zlib, reading one
// packet's worth of output at a time.
func benchStdlib(b *testing.B, size int) {
	plain, pkts := benchPackets(b, size, 6)
	sizes := make([]int, len(pkts))
	for i := range sizes {
		sizes[i] = min(size, len(plain)-i*size)
	}
	benchStdlibPackets(b, len(plain), pkts, sizes)
}

func benchStdlibPackets(b *testing.B, total int, pkts [][]byte, sizes []int) {
	stream := bytes.Join(pkts, nil)
	br := bytes.NewReader(stream)
	zr, err := czlib.NewReader(br)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]byte, slices.Max(sizes))
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		br.Reset(stream)
		if err := zr.(czlib.Resetter).Reset(br, nil); err != nil {
			b.Fatal(err)
		}
		for _, n := range sizes {
			if _, err := io.ReadFull(zr, out[:n]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The C zlib stream of the vector text_l6_partial_big: level 6, packets of
// 32 KiB and more, Z_PARTIAL_FLUSH as OpenSSH sends them.
func zlibVector(b *testing.B) (total int, pkts [][]byte, sizes []int) {
	for _, v := range loadVectors(b) {
		if v.Name == "text_l6_partial_big" {
			for i, p := range v.plain {
				total += len(p)
				sizes = append(sizes, len(p))
				pkts = append(pkts, v.comp[i])
			}
			return total, pkts, sizes
		}
	}
	b.Fatal("no vector text_l6_partial_big")
	return
}

func BenchmarkInflateCZlib(b *testing.B) {
	total, pkts, sizes := zlibVector(b)
	benchInflatePackets(b, total, pkts, slices.Max(sizes))
}

func BenchmarkStdlibInflateCZlib(b *testing.B) {
	total, pkts, sizes := zlibVector(b)
	benchStdlibPackets(b, total, pkts, sizes)
}

func BenchmarkInflate32K(b *testing.B)       { benchInflate(b, 32<<10) }
func BenchmarkInflate1K(b *testing.B)        { benchInflate(b, 1<<10) }
func BenchmarkStdlibInflate32K(b *testing.B) { benchStdlib(b, 32<<10) }
func BenchmarkStdlibInflate1K(b *testing.B)  { benchStdlib(b, 1<<10) }

func benchDeflate(b *testing.B, size, level int) {
	plain := textData(b, benchSize)
	d := NewDeflater(level)
	var out []byte
	total := 0
	for i := 0; i < len(plain); i += size {
		var err error
		out, err = d.Deflate(out[:0], plain[i:min(len(plain), i+size)])
		if err != nil {
			b.Fatal(err)
		}
		total += len(out)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d.Reset()
		for i := 0; i < len(plain); i += size {
			var err error
			out, err = d.Deflate(out[:0], plain[i:min(len(plain), i+size)])
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(total)/float64(len(plain)), "ratio")
}

func BenchmarkDeflate32KLevel1(b *testing.B) { benchDeflate(b, 32<<10, 1) }
func BenchmarkDeflate32KLevel6(b *testing.B) { benchDeflate(b, 32<<10, 6) }
func BenchmarkDeflate1KLevel6(b *testing.B)  { benchDeflate(b, 1<<10, 6) }
