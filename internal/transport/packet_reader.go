package transport

import (
	"io"
	"sync"
)

// packetReader buffers the incoming byte stream so that ciphers can
// decrypt packets in place and return payloads that alias the buffer: one
// read system call brings in as many packets as fit, and no packet is
// copied on its way to the caller.
//
// An idle connection holds no buffer. Where the connection is a socket
// whose reads can tell when they would wait (idleReader), fillIdle, called
// between packets, hands the empty buffer to a pool shared by all
// connections before it waits for the peer, and takes one again when
// bytes arrive: a thousand idle connections then hold no read buffers at
// all, and one that streamed once does not keep its bulk buffer forever.
type packetReader struct {
	r          io.Reader
	sock       idleReader // nil: only r, whose Read waits with the buffer
	buf        []byte
	bufp       *[]byte // buf's pool entry, if it came from a pool
	start, end int     // buf[start:end] holds bytes read but not consumed
	consumed   uint64  // bytes consumed since the start, for rekey limits
	// bulk is set once a packet outgrew the initial buffer: buffers taken
	// again are bulk-sized.
	bulk bool
}

// idleReader is a connection whose reads can tell when they would wait.
type idleReader interface {
	// readInto reads once into t.free(), like io.Reader's Read. When
	// nothing is there to read it calls t.idle() and waits, then asks
	// t.free() again: the buffer may have been let go meanwhile. Plain
	// reads go to Read.
	readInto(t readTarget) (int, error)
}

// readTarget is where an idleReader reads to: the packet reader.
type readTarget interface {
	free() []byte
	idle()
}

// Initial and maximum sizes of the read buffer. It starts small so that a
// connection that sends little costs little, and grows to hold the
// largest packet seen; in bulk it holds two of the largest channel data
// packets the connection layer accepts (128 KiB), so that reads are not
// one packet each.
const (
	initialReadBuffer = 4 << 10
	bulkReadBuffer    = 256 << 10
)

// Pools of read buffers of the two usual sizes, shared by connections.
var (
	initialBuffers = sync.Pool{New: func() any { b := make([]byte, initialReadBuffer); return &b }}
	bulkBuffers    = sync.Pool{New: func() any { b := make([]byte, bulkReadBuffer); return &b }}
)

func newPacketReader(r io.Reader) *packetReader {
	p := &packetReader{r: r}
	if ir, ok := r.(idleReader); ok {
		p.sock = ir
	}
	return p
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

// fillIdle waits for bytes from the peer without holding a buffer, if
// nothing is buffered and the connection can (sock), and reads what came.
// The caller must be done with every payload it took: their bytes may go
// to another connection.
func (p *packetReader) fillIdle() error {
	if p.sock == nil || p.start != p.end {
		return nil
	}
	n, err := p.sock.readInto(p)
	p.end += n
	return err
}

// free returns the free end of the buffer, taking a buffer again if idle
// let it go.
func (p *packetReader) free() []byte {
	if p.buf == nil {
		p.makeRoom(1)
	}
	return p.buf[p.end:]
}

// idle lets the empty buffer go before fillIdle waits.
func (p *packetReader) idle() { p.putBuffer() }

// makeRoom moves the unconsumed bytes to the front of the buffer, growing
// it if n bytes would not fit.
func (p *packetReader) makeRoom(n int) {
	size := len(p.buf)
	if size < n {
		// Once packets are large, read in bulk: fewer system calls per
		// megabyte matter more than the memory.
		if n > initialReadBuffer {
			p.bulk = true
		}
		size = max(n, initialReadBuffer)
		if p.bulk {
			size = max(size, bulkReadBuffer)
		}
	}
	if size == len(p.buf) {
		kept := copy(p.buf, p.buf[p.start:p.end])
		p.start, p.end = 0, kept
		return
	}
	bp := getBuffer(size)
	kept := copy(*bp, p.buf[p.start:p.end])
	p.putBuffer()
	p.buf, p.bufp = *bp, bp
	p.start, p.end = 0, kept
}

// getBuffer returns a buffer of size bytes, from a pool if it has one.
func getBuffer(size int) *[]byte {
	switch size {
	case initialReadBuffer:
		return initialBuffers.Get().(*[]byte)
	case bulkReadBuffer:
		return bulkBuffers.Get().(*[]byte)
	}
	b := make([]byte, size)
	return &b
}

// putBuffer gives the buffer back to its pool and leaves none.
func (p *packetReader) putBuffer() {
	switch len(p.buf) {
	case initialReadBuffer:
		initialBuffers.Put(p.bufp)
	case bulkReadBuffer:
		bulkBuffers.Put(p.bufp)
	}
	p.buf, p.bufp, p.start, p.end = nil, nil, 0, 0
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
