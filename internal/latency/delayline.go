package latency

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

const (
	// readSize is the most read from a socket at once.
	readSize = 64 << 10
	// chunkOverhead is what each queued chunk is charged beyond its
	// buffer, so that a stream of one-byte reads is bounded too.
	chunkOverhead = 64
	// maxBatch bounds how many due chunks one write gathers.
	maxBatch = 64
)

// chunk is what one read returned, and when it is due at the other side.
type chunk struct {
	data []byte
	due  time.Time
	end  error // on the last chunk: io.EOF for a half-close, or the read error
	cost int   // what it is charged against the line's bound
}

// line carries one direction of a proxied connection: read from src,
// written to dst oneWay later. A reader goroutine fills the queue and a
// writer goroutine drains it, so reading continues while earlier data waits
// for its time.
type line struct {
	src, dst net.Conn
	delay    time.Duration
	max      int             // bound on queued bytes, with overheads
	done     <-chan struct{} // closed when the whole connection is torn down
	abort    func(reset bool)

	mu     sync.Mutex
	cond   *sync.Cond // signalled when the queue shrinks or grows, or on close
	queue  []chunk
	queued int // sum of the queue's costs
	peak   int // highest queued ever, for tests
	closed bool
}

func newLine(src, dst net.Conn, delay time.Duration, max int, done <-chan struct{}, abort func(bool)) *line {
	l := &line{src: src, dst: dst, delay: delay, max: max, done: done, abort: abort}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// close wakes both goroutines for good.
func (l *line) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cond.Broadcast()
}

// read moves data from src into the queue until EOF or an error, pausing
// while the queue is full: the backpressure that keeps memory bounded.
func (l *line) read() {
	var buf []byte
	for {
		if !l.waitForRoom() {
			return
		}
		if buf == nil {
			buf = make([]byte, readSize)
		}
		n, err := l.src.Read(buf)
		due := time.Now().Add(l.delay)
		if n > 0 {
			// Keep a well-filled buffer as it is; copy a small read out
			// of it, so that memory held matches what is charged.
			var data []byte
			if n >= readSize/2 {
				data, buf = buf[:n], nil
			} else {
				data = bytes.Clone(buf[:n])
			}
			l.push(chunk{data: data, due: due, cost: cap(data) + chunkOverhead})
		}
		if err != nil {
			l.push(chunk{due: due, end: err, cost: chunkOverhead})
			return
		}
	}
}

func (l *line) waitForRoom() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.queued >= l.max && !l.closed {
		l.cond.Wait()
	}
	return !l.closed
}

func (l *line) push(c chunk) {
	l.mu.Lock()
	l.queue = append(l.queue, c)
	l.queued += c.cost
	l.peak = max(l.peak, l.queued)
	l.mu.Unlock()
	l.cond.Broadcast()
}

// write moves queued data to dst when it is due, until the chunk that
// ends the direction: EOF becomes a half-close of dst, an error tears the
// connection down.
func (l *line) write() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		due, ok := l.nextDue()
		if !ok {
			return
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-l.done:
				return
			}
		}
		batch, cost, end := l.takeDue()
		if len(batch) > 0 {
			bufs := net.Buffers(batch)
			if _, err := bufs.WriteTo(l.dst); err != nil {
				l.abort(true)
				return
			}
		}
		l.release(cost)
		if end != nil {
			if errors.Is(end, io.EOF) {
				closeWrite(l.dst)
			} else {
				l.abort(true)
			}
			return
		}
	}
}

// nextDue waits for a chunk and returns when the first one is due; false
// once the line is closed.
func (l *line) nextDue() (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.queue) == 0 && !l.closed {
		l.cond.Wait()
	}
	if l.closed {
		return time.Time{}, false
	}
	return l.queue[0].due, true
}

// takeDue dequeues the chunks due by now, up to maxBatch, stopping after a
// chunk that ends the direction. Their cost stays charged until release:
// data being written is still in flight.
func (l *line) takeDue() (batch [][]byte, cost int, end error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for len(l.queue) > 0 && len(batch) < maxBatch && !l.queue[0].due.After(now) {
		c := l.queue[0]
		l.queue[0] = chunk{} // let the buffer go with the write
		l.queue = l.queue[1:]
		cost += c.cost
		if c.data != nil {
			batch = append(batch, c.data)
		}
		if c.end != nil {
			end = c.end
			break
		}
	}
	return batch, cost, end
}

func (l *line) release(cost int) {
	l.mu.Lock()
	l.queued -= cost
	l.mu.Unlock()
	l.cond.Broadcast()
}

// closeWrite half-closes c, or closes it if it cannot half-close.
func closeWrite(c net.Conn) {
	if hc, ok := c.(interface{ CloseWrite() error }); ok {
		hc.CloseWrite()
		return
	}
	c.Close()
}
