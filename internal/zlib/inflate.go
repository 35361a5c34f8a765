package zlib

import (
	"encoding/binary"
	"math/bits"
)

const (
	windowSize = 1 << 15 // deflate's window
	histSize   = 1 << 17 // window plus room to decode into before sliding
	maxMatch   = 258
	// margin is the room the fast loop needs after the write position: one
	// match plus the 8-byte over-write of the word-at-a-time match copy.
	margin = maxMatch + 8
)

// Decoder states: what the next item in the stream is.
const (
	stHeader       = iota // the 2-byte zlib header
	stBlock               // a 3-bit block header
	stStoredHeader        // byte alignment and LEN, NLEN of a stored block
	stStored              // the bytes of a stored block
	stDynHeader           // HLIT, HDIST, HCLEN of a dynamic block
	stCodeLens            // the code length code's lengths
	stLens                // the literal/length and distance code lengths
	stData                // compressed data of a Huffman block
	stTrailer             // the Adler-32 trailer after the final block
	stDone                // end of the stream
)

// clOrder is the order in which code length code lengths are sent.
var clOrder = [maxCodes]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// Inflater decompresses one direction's zlib stream one SSH packet at a time.
//
// Inflate may be given the stream cut at any byte position: what cannot be
// decoded yet is kept (at most 63 bits) until the next call. The zero value
// is ready to use, as is the result of NewInflater. An Inflater must not be
// used by several goroutines at once.
type Inflater struct {
	// The bit buffer: its low nb bits are the next bits of the stream, and
	// its bits above nb are zero (outside the fast loop).
	bits uint64
	nb   uint

	// The input of the current call and the position in it, and the stream
	// offset of in[0] (for error messages).
	in     []byte
	p      int
	inBase int64

	state int
	final bool // the current block is the last one
	err   error

	// hist holds the window and the output of the current call. Output is
	// written at w; hist[r:w] has not been appended to out yet. When w gets
	// near the end, the last 32 KiB are moved to the front.
	hist  *[histSize]byte
	w, r  int
	out   []byte // the caller's dst during a call
	adler uint32 // Adler-32 of all output before hist[r]
	// budget is how many more bytes out may take in this call; maxPos is
	// the write position in hist past which the call's output exceeds it
	// (len(hist) if the limit is further away).
	budget int
	maxPos int

	storedLeft int // bytes of the current stored block still to copy

	// Dynamic block header decoding.
	nlit, ndist, nclen int
	idx                int
	clLens             [maxCodes]uint8
	lens               [maxLit + maxDist]uint8

	// The current block's tables: the fixed ones or dynLit and dynDist.
	lt      *litTable
	dt      *distTable
	cl      clTable
	dynLit  litTable
	dynDist distTable
}

// NewInflater returns an Inflater that expects the start of a zlib stream.
func NewInflater() *Inflater {
	f := new(Inflater)
	f.Reset()
	return f
}

// Reset puts f back to the start of a new stream: the next input must begin
// with the 2-byte zlib header. It clears any error.
func (f *Inflater) Reset() {
	if f.hist == nil {
		f.hist = new([histSize]byte)
	}
	f.bits, f.nb = 0, 0
	f.in, f.p, f.inBase = nil, 0, 0
	f.state = stHeader
	f.final = false
	f.err = nil
	f.w, f.r = 0, 0
	f.out = nil
	f.adler = 1
	f.storedLeft = 0
	f.lt, f.dt = nil, nil
}

// Inflate decompresses in, the compressed payload of one packet, appending
// the result to dst and returning it.
//
// All of in that can be decoded is decoded; bits that do not complete an
// item yet are copied into f, and in is not retained. Inflate fails with
// ErrTooLarge if this call's output would exceed maxOut bytes, and with a
// *FormatError if the data is corrupt (or uses a preset dictionary, or goes
// on after the end of the stream). On error, the returned slice holds dst
// followed by whatever was decoded before the error, and every later call
// returns the same error until Reset.
func (f *Inflater) Inflate(dst, in []byte, maxOut int) ([]byte, error) {
	if f.err != nil {
		return dst, f.err
	}
	if f.hist == nil {
		f.Reset()
	}
	f.in, f.p = in, 0
	f.out = dst
	f.budget = max(0, maxOut)
	f.setMaxPos()
	err := f.run()
	f.flushOut()
	f.inBase += int64(len(in))
	f.in, f.p = nil, 0
	dst, f.out = f.out, nil
	if err != nil {
		f.err = err
	}
	return dst, err
}

// run decodes items until the input runs out (or the stream ends).
func (f *Inflater) run() error {
	for {
		switch f.state {
		case stHeader:
			if !f.need(16) {
				return nil
			}
			h := f.take(16)
			cmf, flg := h&0xff, h>>8
			if cmf&0x0f != 8 || cmf>>4 > 7 || (cmf<<8|flg)%31 != 0 {
				return f.errorf("invalid header")
			}
			if flg&0x20 != 0 {
				return f.errorf("preset dictionary not supported")
			}
			f.state = stBlock

		case stBlock:
			if !f.need(3) {
				return nil
			}
			h := f.take(3)
			f.final = h&1 != 0
			switch h >> 1 {
			case 0:
				f.state = stStoredHeader
			case 1:
				f.lt, f.dt = fixedLit, fixedDist
				f.state = stData
			case 2:
				f.state = stDynHeader
			default:
				return f.errorf("invalid block type")
			}

		case stStoredHeader:
			f.take(f.nb & 7) // to a byte boundary
			if !f.need(32) {
				return nil
			}
			n, nn := f.take(16), f.take(16)
			if n != ^nn&0xffff {
				return f.errorf("invalid stored block lengths")
			}
			f.storedLeft = int(n)
			f.state = stStored

		case stStored:
			done, err := f.stored()
			if err != nil || !done {
				return err
			}
			f.endBlock()

		case stDynHeader:
			if !f.need(14) {
				return nil
			}
			f.nlit = int(f.take(5)) + 257
			f.ndist = int(f.take(5)) + 1
			f.nclen = int(f.take(4)) + 4
			if f.nlit > maxLit || f.ndist > maxDist {
				return f.errorf("too many length or distance symbols")
			}
			f.clLens = [maxCodes]uint8{}
			f.idx = 0
			f.state = stCodeLens

		case stCodeLens:
			for f.idx < f.nclen {
				if !f.need(3) {
					return nil
				}
				f.clLens[clOrder[f.idx]] = uint8(f.take(3))
				f.idx++
			}
			if !buildTable(f.cl[:], f.clLens[:], clRoot, kindCodeLen) {
				return f.errorf("invalid code lengths set")
			}
			f.idx = 0
			f.state = stLens

		case stLens:
			done, err := f.codeLens()
			if err != nil || !done {
				return err
			}
			f.state = stData

		case stData:
			done, err := f.data()
			if err != nil || !done {
				return err
			}
			f.endBlock()

		case stTrailer:
			f.take(f.nb & 7) // to a byte boundary
			if !f.need(32) {
				return nil
			}
			sum := bits.ReverseBytes32(uint32(f.take(32)))
			f.flushOut()
			if sum != f.adler {
				return f.errorf("incorrect data check")
			}
			f.state = stDone

		case stDone:
			if f.nb > 0 || f.p < len(f.in) {
				return f.errorf("data after end of stream")
			}
			return nil
		}
	}
}

func (f *Inflater) endBlock() {
	if f.final {
		f.state = stTrailer
	} else {
		f.state = stBlock
	}
}

// need makes sure the bit buffer holds at least n bits (n <= 56), reading
// input bytes as needed. It reports false if the input ran out first.
func (f *Inflater) need(n uint) bool {
	for f.nb < n {
		if f.p >= len(f.in) {
			return false
		}
		f.bits |= uint64(f.in[f.p]) << f.nb
		f.p++
		f.nb += 8
	}
	return true
}

// take removes n bits from the bit buffer and returns them.
func (f *Inflater) take(n uint) uint {
	v := uint(f.bits) & (1<<n - 1)
	f.bits >>= n
	f.nb -= n
	return v
}

func (f *Inflater) errorf(msg string) error {
	return &FormatError{Offset: f.inBase + int64(f.p) - int64(f.nb/8), Msg: msg}
}

// flushOut appends the output decoded so far to f.out.
func (f *Inflater) flushOut() {
	b := f.hist[f.r:f.w]
	f.out = append(f.out, b...)
	f.adler = adler32(f.adler, b)
	f.budget -= len(b)
	f.r = f.w
}

func (f *Inflater) setMaxPos() {
	if f.budget >= histSize-f.r {
		f.maxPos = histSize
	} else {
		f.maxPos = f.r + f.budget
	}
}

// slide flushes the output and moves the last 32 KiB of hist to the front.
// It requires f.w >= windowSize.
func (f *Inflater) slide() {
	f.flushOut()
	copy(f.hist[:windowSize], f.hist[f.w-windowSize:f.w])
	f.w, f.r = windowSize, windowSize
	f.setMaxPos()
}

// stored copies the current stored block's bytes. It reports whether the
// block is complete.
func (f *Inflater) stored() (bool, error) {
	for f.storedLeft > 0 {
		if f.w > f.maxPos {
			return false, ErrTooLarge
		}
		if f.w == histSize {
			f.slide()
		}
		if f.nb >= 8 {
			// Whole bytes left in the bit buffer come first.
			f.hist[f.w] = byte(f.take(8))
			f.w++
			f.storedLeft--
			continue
		}
		n := min(f.storedLeft, histSize-f.w, f.maxPos+1-f.w)
		n = copy(f.hist[f.w:f.w+n], f.in[f.p:])
		if n == 0 {
			return false, nil
		}
		f.p += n
		f.w += n
		f.storedLeft -= n
	}
	if f.w > f.maxPos {
		return false, ErrTooLarge
	}
	return true, nil
}

// codeLens decodes the literal/length and distance code lengths of a
// dynamic block and builds its tables. It reports whether it is done.
func (f *Inflater) codeLens() (bool, error) {
	total := f.nlit + f.ndist
	for f.idx < total {
		f.need(14) // as many bits as there are, up to the longest item
		e := f.cl[f.bits&(clTableSize-1)]
		n := e.n()
		if n > f.nb {
			return false, nil
		}
		if e.op() == opBad {
			return false, f.errorf("invalid code lengths code")
		}
		sym := e.val()
		if sym < 16 {
			f.take(n)
			f.lens[f.idx] = uint8(sym)
			f.idx++
			continue
		}
		var rep, xb uint
		var v uint8
		switch sym {
		case 16:
			if f.idx == 0 {
				return false, f.errorf("invalid bit length repeat")
			}
			v = f.lens[f.idx-1]
			rep, xb = 3, 2
		case 17:
			rep, xb = 3, 3
		default:
			rep, xb = 11, 7
		}
		if n+xb > f.nb {
			return false, nil
		}
		f.take(n)
		rep += f.take(xb)
		if f.idx+int(rep) > total {
			return false, f.errorf("invalid bit length repeat")
		}
		for i := range int(rep) {
			f.lens[f.idx+i] = v
		}
		f.idx += int(rep)
	}
	if f.lens[256] == 0 {
		return false, f.errorf("invalid code -- missing end-of-block")
	}
	if !buildTable(f.dynLit[:], f.lens[:f.nlit], litRoot, kindLit) {
		return false, f.errorf("invalid literal/lengths set")
	}
	if !buildTable(f.dynDist[:], f.lens[f.nlit:total], distRoot, kindDist) {
		return false, f.errorf("invalid distances set")
	}
	f.lt, f.dt = &f.dynLit, &f.dynDist
	return true, nil
}

const (
	litMask  = 1<<litRoot - 1
	distMask = 1<<distRoot - 1
)

// data decodes the compressed data of a Huffman block. It reports whether
// the end of the block was reached; false with a nil error means the input
// ran out.
func (f *Inflater) data() (bool, error) {
	var (
		bits = f.bits
		nb   = f.nb
		in   = f.in
		p    = f.p
		hist = f.hist[:]
		w    = f.w
		lt   = f.lt
		dt   = f.dt
	)
	// Every exit goes through the end of the function, which stores the
	// decoder state back: eob, tooLarge, msg (corrupt data) or none of them
	// (the input ran out).
	var (
		eob      bool
		tooLarge bool
		msg      string
	)
loop:
	for {
		// The fast loop: at least 8 bytes of input left and room for a
		// whole match in hist and within the output limit. Each iteration
		// refills the bit buffer to at least 56 bits, enough for the
		// longest item (15+5 bits of length, 15+13 bits of distance). Bits
		// above nb may be set meanwhile (they are the next input bits).
		lim := min(len(hist)-margin, f.maxPos)
		for p+8 <= len(in) && w <= lim {
			bits |= binary.LittleEndian.Uint64(in[p:p+8]) << (nb & 63)
			p += int(63-nb) >> 3
			nb |= 56

			e := lt[bits&litMask]
			// Runs of literals: the next entry is looked up before the
			// refill (there are at least 41 bits, enough for any code),
			// which keeps the refill off the critical path.
			for e.op() == opLit {
				n := e.n()
				bits >>= n & 63
				nb -= n
				hist[w] = byte(e.val())
				w++
				if w > lim || p+8 > len(in) {
					continue loop
				}
				e = lt[bits&litMask]
				bits |= binary.LittleEndian.Uint64(in[p:p+8]) << (nb & 63)
				p += int(63-nb) >> 3
				nb |= 56
			}
			if e.op()&opLink != 0 {
				e = lt[e.val()+uint(bits>>litRoot)&(1<<(e.op()&15)-1)]
			}
			n := e.n()
			bits >>= n & 63
			nb -= n
			op := e.op()
			if op == opLit {
				hist[w] = byte(e.val())
				w++
				continue
			}
			if op&opBase == 0 {
				if op == opEOB {
					eob = true
				} else {
					msg = "invalid literal/length code"
				}
				break loop
			}
			x := op & 15
			length := int(e.val() + uint(bits)&(1<<x-1))
			bits >>= x
			nb -= x

			d := dt[bits&distMask]
			if d.op()&opLink != 0 {
				d = dt[d.val()+uint(bits>>distRoot)&(1<<(d.op()&15)-1)]
			}
			op = d.op()
			if op&opBase == 0 {
				msg = "invalid distance code"
				break loop
			}
			n = d.n()
			bits >>= n & 63
			nb -= n
			x = op & 15
			dist := int(d.val() + uint(bits)&(1<<x-1))
			bits >>= x
			nb -= x
			if dist > w {
				msg = "invalid distance too far back"
				break loop
			}

			// Copy the match, 8 bytes at a time where the distance allows
			// it (hist has room for length+8 bytes, and at least 16, at
			// w). Most matches are short: the first 16 bytes are copied
			// without a loop.
			src := w - dist
			switch {
			case dist >= 8:
				binary.LittleEndian.PutUint64(hist[w:], binary.LittleEndian.Uint64(hist[src:]))
				binary.LittleEndian.PutUint64(hist[w+8:], binary.LittleEndian.Uint64(hist[src+8:]))
				for i := 16; i < length; i += 8 {
					binary.LittleEndian.PutUint64(hist[w+i:], binary.LittleEndian.Uint64(hist[src+i:]))
				}
			case dist == 1:
				v := uint64(hist[src]) * 0x0101010101010101
				for i := 0; i < length; i += 8 {
					binary.LittleEndian.PutUint64(hist[w+i:], v)
				}
			default:
				for i := range length {
					hist[w+i] = hist[src+i]
				}
			}
			w += length
		}
		bits &= 1<<nb - 1

		if w > f.maxPos {
			tooLarge = true
			break
		}
		if w > len(hist)-margin {
			f.w = w
			f.slide()
			w = f.w
			continue
		}

		// The careful path, for the last bytes of the input: decode one
		// item only if all of its bits are there.
		for nb <= 56-8 && p < len(in) {
			bits |= uint64(in[p]) << nb
			p++
			nb += 8
		}
		e := lt[bits&litMask]
		if e.op()&opLink != 0 {
			e = lt[e.val()+uint(bits>>litRoot)&(1<<(e.op()&15)-1)]
		}
		n := e.n()
		if n > nb {
			break
		}
		op := e.op()
		if op == opLit {
			bits >>= n
			nb -= n
			hist[w] = byte(e.val())
			w++
			continue
		}
		if op&opBase == 0 {
			if op == opEOB {
				bits >>= n
				nb -= n
				eob = true
			} else {
				msg = "invalid literal/length code"
			}
			break
		}
		x := op & 15
		if n+x > nb {
			break
		}
		length := int(e.val() + uint(bits>>n)&(1<<x-1))
		used := n + x
		b := bits >> used
		d := dt[b&distMask]
		if d.op()&opLink != 0 {
			d = dt[d.val()+uint(b>>distRoot)&(1<<(d.op()&15)-1)]
		}
		n = d.n()
		if used+n > nb {
			break
		}
		op = d.op()
		if op&opBase == 0 {
			msg = "invalid distance code"
			break
		}
		x = op & 15
		if used+n+x > nb {
			break
		}
		dist := int(d.val() + uint(b>>n)&(1<<x-1))
		if dist > w {
			msg = "invalid distance too far back"
			break
		}
		used += n + x
		bits >>= used
		nb -= used
		src := w - dist
		for i := range length {
			hist[w+i] = hist[src+i]
		}
		w += length
	}
	f.bits = bits & (1<<nb - 1)
	f.nb = nb
	f.p = p
	f.w = w
	switch {
	case msg != "":
		return false, f.errorf(msg)
	case tooLarge:
		return false, ErrTooLarge
	}
	return eob, nil
}

// adler32 updates the Adler-32 checksum a with p.
func adler32(a uint32, p []byte) uint32 {
	const (
		mod = 65521
		// nmax is the largest n with 255n(n+1)/2 + (n+1)(mod-1) < 1<<32,
		// rounded down to a multiple of 16: the sums cannot overflow in
		// nmax bytes.
		nmax = 5552
		// Eight bytes are split into 16-bit lanes, the even bytes and the
		// odd ones. Multiplying the lanes by one of these constants puts
		// a weighted sum of the lanes in the top lane: with lanes, the
		// plain sum; with the others, the weights 16 down to 1 of the
		// sixteen bytes of a block.
		lanes = 0x0001_0001_0001_0001
		w1e   = 0x0010_000e_000c_000a // bytes 0, 2, 4, 6 weigh 16, 14, 12, 10
		w1o   = 0x000f_000d_000b_0009 // bytes 1, 3, 5, 7 weigh 15, 13, 11, 9
		w2e   = 0x0008_0006_0004_0002 // bytes 8, 10, 12, 14 weigh 8, 6, 4, 2
		w2o   = 0x0007_0005_0003_0001 // bytes 9, 11, 13, 15 weigh 7, 5, 3, 1
		mask  = 0x00ff_00ff_00ff_00ff
	)
	s1, s2 := a&0xffff, a>>16
	for len(p) > 0 {
		q := p
		if len(q) > nmax {
			q = q[:nmax]
		}
		p = p[len(q):]
		for len(q) >= 32 {
			x, y := binary.LittleEndian.Uint64(q[:8]), binary.LittleEndian.Uint64(q[8:16])
			u, v := binary.LittleEndian.Uint64(q[16:24]), binary.LittleEndian.Uint64(q[24:32])
			xe, xo := x&mask, x>>8&mask
			ye, yo := y&mask, y>>8&mask
			ue, uo := u&mask, u>>8&mask
			ve, vo := v&mask, v>>8&mask
			sum1 := uint32((xe + xo + ye + yo) * lanes >> 48)
			sum2 := uint32((ue + uo + ve + vo) * lanes >> 48)
			w1 := uint32((xe*w1e + xo*w1o + ye*w2e + yo*w2o) >> 48)
			w2 := uint32((ue*w1e + uo*w1o + ve*w2e + vo*w2o) >> 48)
			s2 += 32*s1 + 16*sum1 + w1 + w2
			s1 += sum1 + sum2
			q = q[32:]
		}
		for len(q) >= 16 {
			// Sixteen bytes at once: s2 gains 16*s1 plus the bytes
			// weighted 16 down to 1, s1 gains their sum. No lane
			// overflows: the top one gets at most 255*136.
			x, y := binary.LittleEndian.Uint64(q), binary.LittleEndian.Uint64(q[8:16])
			xe, xo := x&mask, x>>8&mask
			ye, yo := y&mask, y>>8&mask
			sum := uint32((xe + xo + ye + yo) * lanes >> 48)
			wsum := uint32((xe*w1e + xo*w1o + ye*w2e + yo*w2o) >> 48)
			s2 += 16*s1 + wsum
			s1 += sum
			q = q[16:]
		}
		for _, b := range q {
			s1 += uint32(b)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}
