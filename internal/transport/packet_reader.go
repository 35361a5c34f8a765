package transport

import "io"

// packetReader buffers the incoming byte stream so that ciphers can
// decrypt packets in place and return payloads that alias the buffer: one
// read system call brings in as many packets as fit, and no packet is
// copied on its way to the caller.
type packetReader struct {
	r          io.Reader
	buf        []byte
	start, end int    // buf[start:end] holds bytes read but not consumed
	consumed   uint64 // bytes consumed since the start, for rekey limits
}

// Initial and maximum sizes of the read buffer. It starts small so that an
// idle connection costs little, and grows to hold the largest packet seen.
const (
	initialReadBuffer = 4 << 10
	bulkReadBuffer    = 128 << 10
)

func newPacketReader(r io.Reader) *packetReader {
	return &packetReader{r: r}
}

// peek returns the next n unconsumed bytes, reading as needed. The slice
// is valid until the next peek, and callers may modify it (decrypt in
// place): later peeks keep those changes.
func (p *packetReader) peek(n int) ([]byte, error) {
	if p.end-p.start >= n {
		return p.buf[p.start : p.start+n], nil
	}
	// Make room when the packet would not fit, and also when little room
	// is left after the buffered bytes: reading into a sliver of the
	// buffer means many small reads here, and a sender that finds its
	// socket buffer nearly full at every write (sshd then spends more
	// CPU per byte than the encryption costs).
	if n > len(p.buf)-p.start || len(p.buf)-p.end < len(p.buf)/4 {
		p.makeRoom(n)
	}
	for p.end-p.start < n {
		m, err := p.r.Read(p.buf[p.end:])
		p.end += m
		if err != nil {
			if p.end-p.start >= n {
				break
			}
			if err == io.EOF && p.end > p.start {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return p.buf[p.start : p.start+n], nil
}

// makeRoom moves the unconsumed bytes to the front of the buffer, growing
// it if n bytes would not fit.
func (p *packetReader) makeRoom(n int) {
	size := len(p.buf)
	if size < n {
		size = max(n, initialReadBuffer)
		// Once packets are large, read in bulk: fewer system calls per
		// megabyte matter more than the memory.
		if n > initialReadBuffer {
			size = max(size, bulkReadBuffer)
		}
	}
	if size == len(p.buf) {
		copy(p.buf, p.buf[p.start:p.end])
	} else {
		b := make([]byte, size)
		copy(b, p.buf[p.start:p.end])
		p.buf = b
	}
	p.end -= p.start
	p.start = 0
}

// discard consumes n bytes, which must have been peeked.
func (p *packetReader) discard(n int) {
	p.start += n
	p.consumed += uint64(n)
	if p.start == p.end {
		p.start, p.end = 0, 0
	}
}

// buffered returns how many bytes have been read but not consumed.
func (p *packetReader) buffered() int { return p.end - p.start }
