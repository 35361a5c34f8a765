package connection

import "sync"

// ring is a byte queue: what arrives for one stream of a channel and
// the application has not read yet. It grows by doubling as data needs
// it and then is reused, so steady streaming allocates nothing. Its size
// is bounded by the receive window, which the read loop enforces before
// anything is written here.
type ring struct {
	buf  []byte
	head int  // index of the first unread byte
	n    int  // unread bytes
	lent bool // a WriteTo is writing out the front of the buffer

	// readable is what readers of this stream wait on (its L is the
	// channel's mu). Each stream has its own, so that data for stdout
	// does not wake a stderr reader (a session's stderr copier woke on
	// every stdout packet, some 25,000 futile wakeups per GiB).
	readable sync.Cond
	waits    int // how often a reader waited, for tests
}

const minRing = 32 << 10

func (r *ring) len() int { return r.n }

// write appends p, growing the buffer if needed.
func (r *ring) write(p []byte) {
	if r.n+len(p) > len(r.buf) {
		r.grow(r.n + len(p))
	}
	tail := (r.head + r.n) % len(r.buf)
	c := copy(r.buf[tail:], p)
	if c < len(p) {
		copy(r.buf, p[c:])
	}
	r.n += len(p)
}

func (r *ring) grow(need int) {
	size := max(len(r.buf), minRing)
	for size < need {
		size *= 2
	}
	nb := make([]byte, size)
	n := r.read(nb[:r.n])
	r.buf, r.head, r.n = nb, 0, n
}

// read moves up to len(p) bytes out to p.
func (r *ring) read(p []byte) int {
	if r.n == 0 {
		return 0
	}
	n := min(len(p), r.n)
	c := copy(p[:n], r.buf[r.head:min(r.head+n, len(r.buf))])
	if c < n {
		copy(p[c:n], r.buf)
	}
	r.head = (r.head + n) % len(r.buf)
	r.n -= n
	if r.n == 0 {
		r.head = 0
	}
	return n
}

// front returns up to max unread bytes from the head that are
// contiguous in the buffer, without consuming them. The caller may use
// them without the channel's lock while r.lent keeps other readers off:
// writes only fill free space, and a grow copies the unread bytes to a
// new buffer, leaving these as they were.
func (r *ring) front(max int) []byte {
	return r.buf[r.head:min(r.head+r.n, len(r.buf), r.head+max)]
}

// discard consumes n bytes from the head, after front's bytes were used.
func (r *ring) discard(n int) {
	r.head = (r.head + n) % len(r.buf)
	r.n -= n
	if r.n == 0 {
		r.head = 0
	}
}

// release drops the buffer, for a channel that is done.
func (r *ring) release() {
	r.buf = nil
	r.head = 0
	r.n = 0
	r.lent = false
}
