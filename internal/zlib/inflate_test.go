package zlib

import (
	"bytes"
	"compress/flate"
	czlib "compress/zlib"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// textData returns n bytes of text-like data (from the vectors' plaintext,
// repeated).
func textData(t testing.TB, n int) []byte {
	src := readGzip(t, "text.plain.gz")
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, src[:min(len(src), n-len(out))]...)
	}
	return out
}

func randomData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// stdStream compresses data with compress/zlib, with a sync flush after
// every packet of the given size (0: none), and finishes the stream if
// closed is set.
func stdStream(t testing.TB, data []byte, level, packet int, closed bool) []byte {
	var buf bytes.Buffer
	w, err := czlib.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		n := len(data)
		if packet > 0 {
			n = min(n, packet)
		}
		w.Write(data[:n])
		data = data[n:]
		if packet > 0 {
			w.Flush()
		}
	}
	if closed {
		w.Close()
	} else {
		w.Flush()
	}
	return buf.Bytes()
}

// inflateChunks feeds the chunks to a new Inflater and returns the output.
// Each chunk is passed in a buffer that is overwritten after the call, which
// would show if the Inflater kept a reference to its input.
func inflateChunks(chunks [][]byte, maxOut int) ([]byte, error) {
	return inflateChunksWith(NewInflater(), chunks, maxOut)
}

// inflateChunksWith is inflateChunks with f, which it resets first.
func inflateChunksWith(f *Inflater, chunks [][]byte, maxOut int) ([]byte, error) {
	f.Reset()
	var out, buf []byte
	for _, c := range chunks {
		buf = append(buf[:0], c...)
		var err error
		out, err = f.Inflate(out, buf, maxOut)
		for i := range buf {
			buf[i] = 0xa5
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// TestConcurrent runs Inflaters in parallel (they share the fixed tables),
// for the race detector.
func TestConcurrent(t *testing.T) {
	var vs []*vector
	for _, v := range loadVectors(t) {
		if v.Strategy == "fixed" || v.Name == "text_l6_partial" || v.Name == "random_l6_partial" {
			vs = append(vs, v)
		}
	}
	done := make(chan error)
	for i := range 4 {
		go func() {
			v := vs[i%len(vs)]
			got, err := inflateChunks(v.comp, 1<<20)
			if err == nil && !bytes.Equal(got, bytes.Join(v.plain, nil)) {
				err = errors.New(v.Name + ": output differs")
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestSplitEverywhere cuts compress/zlib streams in two at every byte
// position, and also feeds them one byte at a time.
func TestSplitEverywhere(t *testing.T) {
	text := textData(t, 6000)
	mixed := append(append(append([]byte{}, text[:2000]...), randomData(1, 1000)...), text[2000:4000]...)
	cases := []struct {
		name   string
		stream []byte
		want   []byte
	}{
		{"text_l6_closed", stdStream(t, text, 6, 0, true), text},
		{"text_l1_flushes", stdStream(t, text, 1, 1000, false), text},
		{"text_l9_flushes", stdStream(t, text, 9, 2500, true), text},
		{"text_huffman", stdStream(t, text[:3000], czlib.HuffmanOnly, 700, true), text[:3000]},
		{"stored", stdStream(t, text[:2000], 0, 900, true), text[:2000]},
		{"mixed", stdStream(t, mixed, 6, 1100, true), mixed},
		{"zeros", stdStream(t, make([]byte, 100000), 9, 0, true), make([]byte, 100000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.stream
			f := NewInflater()
			for i := 0; i <= len(s); i++ {
				got, err := inflateChunksWith(f, [][]byte{s[:i], s[i:]}, len(c.want))
				if err != nil {
					t.Fatalf("split at %d: %v", i, err)
				}
				if !bytes.Equal(got, c.want) {
					t.Fatalf("split at %d: output differs at %d", i, firstDiff(got, c.want))
				}
			}
			bytewise := make([][]byte, len(s))
			for i := range s {
				bytewise[i] = s[i : i+1]
			}
			got, err := inflateChunks(bytewise, len(c.want))
			if err != nil || !bytes.Equal(got, c.want) {
				t.Fatalf("byte by byte: %v, output differs at %d", err, firstDiff(got, c.want))
			}
			// Three pieces at random places, with empty calls between.
			r := rand.New(rand.NewPCG(7, uint64(len(s))))
			for range 200 {
				i := r.IntN(len(s) + 1)
				j := i + r.IntN(len(s)-i+1)
				got, err := inflateChunksWith(f, [][]byte{nil, s[:i], nil, s[i:j], s[j:], nil}, len(c.want))
				if err != nil || !bytes.Equal(got, c.want) {
					t.Fatalf("split at %d, %d: %v", i, j, err)
				}
			}
		})
	}
}

// TestRoundTrip compresses packets with Deflater and decompresses them with
// Inflater, packet by packet; it also decodes the whole Deflater stream
// with compress/zlib.
func TestRoundTrip(t *testing.T) {
	text := textData(t, 300000)
	rnd := randomData(3, 100000)
	r := rand.New(rand.NewPCG(5, 6))
	for _, level := range []int{-2, -1, 0, 1, 6, 9} {
		for _, kind := range []string{"text", "random", "mixed"} {
			d := NewDeflater(level)
			f := NewInflater()
			var stream, all []byte
			var pkt, out []byte
			tp, rp := 0, 0
			for i := range 300 {
				var payload []byte
				n := r.IntN(3000)
				switch {
				case i%50 == 7:
					n = 40000 + r.IntN(30000)
				case i%10 == 3:
					n = 0
				case i%10 == 4:
					n = 1
				}
				switch {
				case kind == "text" || kind == "mixed" && i%3 != 0:
					n = min(n, len(text)-tp)
					payload = text[tp : tp+n]
					tp = (tp + n) % (len(text) - 70000)
				default:
					n = min(n, len(rnd)-rp)
					payload = rnd[rp : rp+n]
					rp = (rp + n) % (len(rnd) - 70000)
				}
				var err error
				pkt, err = d.Deflate(pkt[:0], payload)
				if err != nil {
					t.Fatal(err)
				}
				stream = append(stream, pkt...)
				all = append(all, payload...)
				out, err = f.Inflate(out[:0], pkt, len(payload))
				if err != nil {
					t.Fatalf("level %d %s packet %d: %v", level, kind, i, err)
				}
				if !bytes.Equal(out, payload) {
					t.Fatalf("level %d %s packet %d: output differs", level, kind, i)
				}
			}
			zr, err := czlib.NewReader(bytes.NewReader(stream))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := io.ReadAll(zr)
			if err != io.ErrUnexpectedEOF || !bytes.Equal(ref, all) {
				t.Fatalf("level %d %s: compress/zlib read %d of %d bytes, %v", level, kind, len(ref), len(all), err)
			}
		}
	}
}

func TestDeflaterReset(t *testing.T) {
	d := NewDeflater(6)
	a, err := d.Deflate(nil, []byte("hello hello hello"))
	if err != nil {
		t.Fatal(err)
	}
	d.Reset()
	b, err := d.Deflate(nil, []byte("hello hello hello"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("after Reset: %x, want %x", b, a)
	}
	if _, err := NewDeflater(42).Deflate(nil, []byte("x")); err == nil {
		t.Fatal("invalid level: no error")
	}
}

func TestInflaterReset(t *testing.T) {
	text := textData(t, 50000)
	s := stdStream(t, text, 6, 4000, false)
	f := NewInflater()
	if _, err := f.Inflate(nil, s[:len(s)/2], 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Reset()
	got, err := f.Inflate(nil, s, 1<<20)
	if err != nil || !bytes.Equal(got, text) {
		t.Fatalf("after Reset: %v", err)
	}
	// After an error, Reset makes the Inflater usable again.
	if _, err := f.Inflate(nil, []byte{0xff}, 100); err == nil {
		t.Fatal("garbage after the stream: no error")
	}
	f.Reset()
	got, err = f.Inflate(nil, s, 1<<20)
	if err != nil || !bytes.Equal(got, text) {
		t.Fatalf("after error and Reset: %v", err)
	}
	// The zero value works.
	var z Inflater
	got, err = z.Inflate(nil, s, 1<<20)
	if err != nil || !bytes.Equal(got, text) {
		t.Fatalf("zero value: %v", err)
	}
}

// TestBomb decompresses 10 MB of zeros squeezed into a few KB, with a limit
// of 256 KiB: ErrTooLarge, without the memory for the whole output.
func TestBomb(t *testing.T) {
	const size = 10 << 20
	const limit = 256 << 10
	zeros := make([]byte, size)
	for _, level := range []int{1, 9} {
		s := stdStream(t, zeros, level, 0, true)
		t.Logf("level %d: %d bytes compress to %d", level, size, len(s))
		if len(s) > size/100 {
			t.Fatalf("not a bomb: %d bytes", len(s))
		}
		f := NewInflater()
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		out, err := f.Inflate(nil, s, limit)
		runtime.ReadMemStats(&ms1)
		if err != ErrTooLarge {
			t.Fatalf("got %v, want ErrTooLarge", err)
		}
		if len(out) > limit+margin {
			t.Fatalf("output grew to %d bytes", len(out))
		}
		// Appending to a nil dst reallocates as it grows: a few times
		// the limit at most, nothing like the 10 MB.
		if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 4*limit {
			t.Fatalf("allocated %d bytes", alloc)
		}
		// The error sticks.
		if _, err := f.Inflate(nil, []byte{0}, limit); err != ErrTooLarge {
			t.Fatalf("after the error: got %v", err)
		}
		// Cut into packets that each stay within the limit, the same
		// stream is fine.
		f.Reset()
		total := 0
		for i := 0; i < len(s); i += 16 {
			out, err = f.Inflate(out[:0], s[i:min(len(s), i+16)], limit)
			if err != nil {
				// A 16-byte piece of a level 9 stream can exceed 256 KiB.
				if err != ErrTooLarge {
					t.Fatal(err)
				}
				break
			}
			total += len(out)
		}
		if level == 1 && total != size {
			t.Fatalf("packet by packet: %d bytes, want %d", total, size)
		}
	}
	// The limit is exact: size bytes pass with limit size, not size-1.
	s := stdStream(t, zeros[:100000], 9, 0, false)
	if _, err := NewInflater().Inflate(nil, s, 100000); err != nil {
		t.Fatalf("limit = size: %v", err)
	}
	if _, err := NewInflater().Inflate(nil, s, 99999); err != ErrTooLarge {
		t.Fatalf("limit = size-1: %v", err)
	}
	// Stored blocks too.
	s = stdStream(t, randomData(9, 100000), 0, 0, false)
	if _, err := NewInflater().Inflate(nil, s, 100000); err != nil {
		t.Fatalf("stored, limit = size: %v", err)
	}
	if _, err := NewInflater().Inflate(nil, s, 99999); err != ErrTooLarge {
		t.Fatalf("stored, limit = size-1: %v", err)
	}
	if _, err := NewInflater().Inflate(nil, s, 0); err != ErrTooLarge {
		t.Fatalf("stored, limit 0: %v", err)
	}
}

// bitWriter writes a deflate bitstream, for hand-made streams.
type bitWriter struct {
	out  []byte
	bits uint64
	nb   uint
}

func (w *bitWriter) bits_(v uint64, n uint) *bitWriter {
	w.bits |= v << w.nb
	w.nb += n
	for w.nb >= 8 {
		w.out = append(w.out, byte(w.bits))
		w.bits >>= 8
		w.nb -= 8
	}
	return w
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) *bitWriter {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits_(c>>uint(i)&1, 1)
	}
	return w
}

// fixed writes symbol s of the fixed literal/length code.
func (w *bitWriter) fixed(s int) *bitWriter {
	switch {
	case s < 144:
		return w.code(uint64(0x30+s), 8)
	case s < 256:
		return w.code(uint64(0x190+s-144), 9)
	case s < 280:
		return w.code(uint64(s-256), 7)
	}
	return w.code(uint64(0xc0+s-280), 8)
}

func (w *bitWriter) align() *bitWriter {
	if w.nb > 0 {
		w.bits_(0, 8-w.nb)
	}
	return w
}

func (w *bitWriter) raw(b ...byte) *bitWriter {
	w.align()
	w.out = append(w.out, b...)
	return w
}

func (w *bitWriter) bytes() []byte {
	w.align()
	return w.out
}

// hdr returns a zlib header with the given CMF and FLG bits and a correct
// check value.
func hdr(cmf, flg byte) []byte {
	flg &^= 31
	flg |= byte(31 - (uint(cmf)<<8|uint(flg))%31)
	return []byte{cmf, flg}
}

func zhdr() *bitWriter { return new(bitWriter).raw(0x78, 0x9c) }

// dynHeader writes a dynamic block header whose code length code gives
// one-bit codes to the code length symbols a and b, and then the
// code length symbols in syms (pairs of symbol and extra bits value).
func dynHeader(final uint64, hlit, hdist int, a, b int, syms ...int) *bitWriter {
	w := zhdr().bits_(final, 1).bits_(2, 2)
	w.bits_(uint64(hlit-257), 5).bits_(uint64(hdist-1), 5).bits_(19-4, 4)
	var lens [19]uint64
	lens[a], lens[b] = 1, 1
	for _, s := range clOrder {
		w.bits_(lens[s], 3)
	}
	for i := 0; i < len(syms); i += 2 {
		s := syms[i]
		if s == min(a, b) {
			w.code(0, 1)
		} else {
			w.code(1, 1)
		}
		switch s {
		case 16:
			w.bits_(uint64(syms[i+1]), 2)
		case 17:
			w.bits_(uint64(syms[i+1]), 3)
		case 18:
			w.bits_(uint64(syms[i+1]), 7)
		}
	}
	return w
}

func TestCorrupt(t *testing.T) {
	good := stdStream(t, []byte("hello, hello, hello world"), 6, 0, true)
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 1
	var dictBuf bytes.Buffer
	dw, _ := czlib.NewWriterLevelDict(&dictBuf, 6, []byte("dictionary"))
	dw.Write([]byte("dictionary dictionary"))
	dw.Close()

	cases := []struct {
		name   string
		stream []byte
		msg    string
	}{
		{"bad method", hdr(0x79, 0), "invalid header"},
		{"bad window", hdr(0x88, 0), "invalid header"},
		{"bad check", []byte{0x78, 0x9d}, "invalid header"},
		{"preset dictionary", dictBuf.Bytes(), "preset dictionary"},
		{"block type 3", zhdr().bits_(1, 1).bits_(3, 2).bytes(), "invalid block type"},
		{"stored lengths", zhdr().bits_(1, 1).bits_(0, 2).raw(5, 0, 5, 0).bytes(), "stored block lengths"},
		{"too far back", zhdr().bits_(1, 1).bits_(1, 2).fixed(257).code(0, 5).bytes(), "too far back"},
		{"too far back later", zhdr().bits_(1, 1).bits_(1, 2).fixed('a').fixed('b').fixed(257).code(2, 5).bytes(), "too far back"},
		{"distance 30", zhdr().bits_(1, 1).bits_(1, 2).fixed('a').fixed(257).code(30, 5).bytes(), "invalid distance code"},
		{"distance 31", zhdr().bits_(1, 1).bits_(1, 2).fixed('a').fixed(257).code(31, 5).bytes(), "invalid distance code"},
		{"length 286", zhdr().bits_(1, 1).bits_(1, 2).fixed('a').fixed(286).bytes(), "invalid literal/length code"},
		{"length 287", zhdr().bits_(0, 1).bits_(1, 2).fixed(287).bytes(), "invalid literal/length code"},
		{"hlit 287", zhdr().bits_(1, 1).bits_(2, 2).bits_(30, 5).bits_(0, 5).bits_(0, 4).bytes(), "too many"},
		{"hdist 31", zhdr().bits_(1, 1).bits_(2, 2).bits_(0, 5).bits_(30, 5).bits_(0, 4).bytes(), "too many"},
		{"code lengths oversubscribed", zhdr().bits_(1, 1).bits_(2, 2).bits_(0, 5).bits_(0, 5).bits_(15, 4).
			bits_(0x249249249249249, 57).bytes(), "code lengths set"},
		{"code lengths incomplete", zhdr().bits_(1, 1).bits_(2, 2).bits_(0, 5).bits_(0, 5).bits_(0, 4).
			bits_(1, 3).bits_(2, 3).bits_(0, 6).bytes(), "code lengths set"},
		{"repeat first", dynHeader(1, 257, 1, 16, 1, 16, 0).bytes(), "bit length repeat"},
		{"repeat too long", dynHeader(1, 257, 1, 18, 1, 18, 127, 18, 127).bytes(), "bit length repeat"},
		{"no end of block", dynHeader(1, 257, 1, 18, 1, 18, 127, 18, 108, 1, 0).bytes(), "end-of-block"},
		{"lit oversubscribed", dynHeader(1, 257, 1, 18, 1, 1, 0, 1, 0, 18, 127, 18, 105, 1, 0, 1, 0).bytes(), "literal/lengths set"},
		{"lit incomplete", dynHeader(1, 257, 1, 18, 2, 2, 0, 18, 127, 18, 106, 2, 0, 2, 0).bytes(), "literal/lengths set"},
		{"dist oversubscribed", dynHeader(1, 257, 3, 18, 1, 1, 0, 18, 127, 18, 106, 1, 0, 1, 0, 1, 0, 1, 0).bytes(), "distances set"},
		{"bad checksum", badSum, "incorrect data check"},
		{"data after end", append(bytes.Clone(good), 0), "after end of stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(how string, err error) {
				t.Helper()
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("%s: got %v, want a *FormatError", how, err)
				}
				if !strings.Contains(fe.Msg, c.msg) {
					t.Fatalf("%s: got %q, want %q", how, fe.Msg, c.msg)
				}
			}
			_, err := inflateChunks([][]byte{c.stream}, 1<<20)
			check("whole", err)
			var bytewise [][]byte
			for i := range c.stream {
				bytewise = append(bytewise, c.stream[i:i+1])
			}
			_, err = inflateChunks(bytewise, 1<<20)
			check("byte by byte", err)
			checkAgainstFlate(t, c.stream, 1)
		})
	}
}

// TestMutations corrupts valid streams at random and checks the result
// against compress/flate (and that nothing panics).
func TestMutations(t *testing.T) {
	text := textData(t, 20000)
	streams := [][]byte{
		stdStream(t, text, 6, 3000, true),
		stdStream(t, text[:4000], 1, 0, true),
		stdStream(t, text[:3000], czlib.HuffmanOnly, 0, true),
		stdStream(t, append(randomData(4, 500), text[:500]...), 0, 200, true),
	}
	for _, v := range loadVectors(t) {
		if len(v.comp) > 4 {
			streams = append(streams, bytes.Join(v.comp[:4], nil))
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		s := bytes.Clone(streams[i%len(streams)])
		if len(s) > 3000 {
			s = s[:3000]
		}
		switch r.IntN(4) {
		case 0: // flip a bit
			k := r.IntN(len(s))
			s[k] ^= 1 << r.IntN(8)
		case 1: // a few random bytes
			for range 1 + r.IntN(4) {
				s[2+r.IntN(len(s)-2)] = byte(r.Uint32())
			}
		case 2: // truncate
			s = s[:r.IntN(len(s)+1)]
		case 3: // overwrite a run
			k := 2 + r.IntN(len(s)-2)
			for j := k; j < min(len(s), k+r.IntN(20)); j++ {
				s[j] = byte(r.Uint32())
			}
		}
		checkAgainstFlate(t, s, r.Uint64())
	}
}

func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are off under -cover and -race")
	}
	text := textData(t, 200000)
	d := NewDeflater(6)
	f := NewInflater()
	var pkts [][]byte
	for i := 0; i < len(text); i += 1500 {
		p, err := d.Deflate(nil, text[i:min(len(text), i+1500)])
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	}
	out := make([]byte, 0, 64<<10)
	comp := make([]byte, 0, 64<<10)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		out, err = f.Inflate(out[:0], pkts[i%len(pkts)], 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		comp, err = d.Deflate(comp[:0], text[:1500])
		if err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Inflate+Deflate", allocs)
	}
}

// checkAgainstFlate inflates s cut into pieces chosen by seed and compares
// the outcome with compress/zlib's reading of s:
//   - compress/zlib reads it all: same output, and no error unless bytes
//     follow the end of the stream;
//   - compress/zlib hits the end of its input (io.ErrUnexpectedEOF): same
//     output and no error (except for a dynamic block without an
//     end-of-block code, which zlib refuses at once and compress/flate
//     does not);
//   - compress/zlib finds the data corrupt: an error here too, and the
//     output decoded until then is the same.
//
// Whatever happens, Inflate must not panic, must return only nil, a
// *FormatError or ErrTooLarge, and must keep returning its error.
func checkAgainstFlate(t *testing.T, s []byte, seed uint64) {
	t.Helper()
	const limit = 64 << 20
	r := rand.New(rand.NewPCG(seed, 99))
	f := NewInflater()
	var got []byte
	var err error
	rest := s
	for len(rest) > 0 || err == nil {
		n := 0
		if len(rest) > 0 {
			switch r.IntN(4) {
			case 0:
				n = 1
			case 1:
				n = r.IntN(len(rest) + 1)
			default:
				n = r.IntN(min(len(rest), 64) + 1)
			}
		}
		got, err = f.Inflate(got, rest[:n], limit)
		rest = rest[n:]
		if err != nil || len(rest) == 0 {
			break
		}
	}
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) && err != ErrTooLarge {
			t.Fatalf("%x: error of type %T: %v", s, err, err)
		}
		if _, err2 := f.Inflate(nil, []byte{0}, limit); err2 != err {
			t.Fatalf("%x: error did not stick: %v then %v", s, err, err2)
		}
	}

	if len(s) >= 2 && s[1]&0x20 != 0 {
		// A preset dictionary (or a bad header) is an error here;
		// compress/zlib reads a dictionary id, and accepts the id of the
		// empty dictionary.
		if err == nil {
			t.Fatalf("%x: preset dictionary accepted", s)
		}
		return
	}
	br := bytes.NewReader(s)
	zr, zerr := czlib.NewReader(br)
	switch {
	case zerr == io.EOF || zerr == io.ErrUnexpectedEOF:
		if err != nil || len(got) != 0 {
			t.Fatalf("%x: short header: got %d bytes, %v", s, len(got), err)
		}
		return
	case zerr == czlib.ErrHeader:
		if err == nil {
			t.Fatalf("%x: compress/zlib: bad header; no error here", s)
		}
		return
	case zerr != nil:
		t.Fatalf("%x: compress/zlib: %v", s, zerr)
	}
	want, ferr := io.ReadAll(zr)
	var cie flate.CorruptInputError

	switch {
	case ferr == nil:
		if !bytes.Equal(got, want) {
			t.Fatalf("%x: compress/zlib read the stream: outputs differ (%d vs %d bytes, at %d); error here %v",
				s, len(got), len(want), firstDiff(got, want), err)
		}
		if br.Len() > 0 && err == nil {
			t.Fatalf("%x: %d bytes after the end of the stream: no error", s, br.Len())
		}
		if br.Len() == 0 && err != nil {
			t.Fatalf("%x: compress/zlib read the stream; error here: %v", s, err)
		}
	case ferr == io.ErrUnexpectedEOF:
		if err != nil && strings.Contains(err.Error(), "end-of-block") {
			if !bytes.HasPrefix(want, got) {
				t.Fatalf("%x: output is not a prefix of compress/zlib's", s)
			}
			return
		}
		// compress/flate reads a few bits ahead (as many as the
		// end-of-block code has) before it decodes a symbol, so at the end
		// of the input it may leave symbols undecoded that are complete
		// here. Given more input (zero bytes), it must decode all of them.
		if !bytes.HasPrefix(got, want) {
			t.Fatalf("%x: compress/zlib ran out of input: its output is not a prefix of this one (%d vs %d bytes, at %d)",
				s, len(want), len(got), firstDiff(got, want))
		}
		padded, perr := stdInflate(append(bytes.Clone(s), make([]byte, 8)...))
		if err != nil {
			// The error must show up in compress/flate too once it can
			// look ahead, at the same place.
			if !errors.As(perr, &cie) || !bytes.Equal(padded, got) {
				t.Fatalf("%x: compress/zlib ran out of input; error here: %v; with more input compress/zlib: %v (%d vs %d bytes)",
					s, err, perr, len(padded), len(got))
			}
			return
		}
		if !bytes.HasPrefix(padded, got) {
			t.Fatalf("%x: compress/zlib with more input: this output is not a prefix of it (%d vs %d bytes, at %d; %v)",
				s, len(got), len(padded), firstDiff(got, padded), perr)
		}
	case ferr == czlib.ErrChecksum:
		if err == nil || !strings.Contains(err.Error(), "data check") {
			t.Fatalf("%x: compress/zlib: bad checksum; here: %v", s, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%x: bad checksum: outputs differ", s)
		}
	case errors.As(ferr, &cie):
		if err == nil {
			t.Fatalf("%x: compress/zlib: %v; no error here", s, ferr)
		}
		if !bytes.HasPrefix(want, got) {
			t.Fatalf("%x: corrupt: output is not a prefix of compress/zlib's (%d vs %d bytes, at %d)",
				s, len(got), len(want), firstDiff(got, want))
		}
	default:
		t.Fatalf("%x: compress/zlib: unexpected error %v", s, ferr)
	}
}

// stdInflate decodes s with compress/zlib.
func stdInflate(s []byte) ([]byte, error) {
	zr, err := czlib.NewReader(bytes.NewReader(s))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
