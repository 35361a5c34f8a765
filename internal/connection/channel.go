package connection

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/amiko-ssh/amiko/internal/wire"
)

type chanState uint8

const (
	stateOpening   chanState = iota
	stateAbandoned           // the opener gave up; close it once confirmed
	stateOpen
	stateFailed
)

// Channel is one channel of a Conn. Read returns its data (a session's
// stdout), Stderr its extended data of type 1, and Write sends data
// within the peer's window. Read and Stderr share one receive window: an
// application that reads one must also read the other, or the peer
// stalls once the window is full.
type Channel struct {
	conn    *Conn
	typ     string
	localID uint32

	// sendMu orders what we send on the channel and makes sure nothing
	// follows our CLOSE, which the peer may answer by forgetting the
	// channel (OpenSSH disconnects on a message for an unknown channel).
	sendMu sync.Mutex
	// wmu serializes Write calls, so that their data is not interleaved.
	wmu  sync.Mutex
	wbuf []byte

	mu       sync.Mutex
	sendable sync.Cond // Write waits here for window; readers wait on their ring's readable
	state    chanState
	openErr  error
	opened   chan struct{} // closed when the open is answered
	remoteID uint32
	extra    []byte // the confirmation's extra data

	// Receiving. window = granted + buffered + consumed: the peer may
	// send granted bytes more, buffered are in stdout and stderr, and
	// consumed were read and are due back to the peer.
	stdout, stderr ring
	window         uint32
	maxWindow      uint32
	granted        uint32
	consumed       uint32
	maxPacket      uint32
	sampling       bool   // a window-sizing ping is out for this channel
	sample         uint32 // bytes received since it was sent
	pingGrant      uint32 // the window the peer had left when it was sent
	pingSent       time.Time
	bestRate       float64       // the highest bytes per second a measurement saw
	grew           bool          // the window grew: grant it at the next Read
	flatSamples    uint          // measurements in a row that did not grow the window
	pingHold       uint64        // bytes to consume before the next measurement
	pings          int           // measurements started, for tests
	minRTT         time.Duration // the shortest round trip measured

	// Sending.
	remoteWindow uint32
	remoteMax    uint32

	eofRcvd, closeRcvd bool
	eofSent, closeSent bool
	localClosed        bool
	finished           bool
	err                error // the connection's, once it ended
	done               chan struct{}

	replies []chan bool // channel requests awaiting a reply, in order
	handler func(req *Request) bool

	exitStatus    int
	hasExitStatus bool
	exitSignal    *ExitSignal

	readDeadline, writeDeadline deadline
}

// Request is a channel request from the peer. Payload is valid only
// during the handler's call.
type Request struct {
	Type      string
	WantReply bool
	Payload   []byte
}

func (c *Conn) newChannel(typ string) *Channel {
	ch := &Channel{
		conn:      c,
		typ:       typ,
		opened:    make(chan struct{}),
		done:      make(chan struct{}),
		window:    c.cfg.InitialWindow,
		maxWindow: c.cfg.MaxWindow,
		granted:   c.cfg.InitialWindow,
		maxPacket: c.cfg.MaxPacket,
	}
	ch.sendable.L = &ch.mu
	ch.stdout.readable.L = &ch.mu
	ch.stderr.readable.L = &ch.mu
	return ch
}

// wakeAllLocked wakes every waiter, readers of both streams and writers,
// for a change of state that concerns them all (EOF, close, an error, a
// deadline).
func (ch *Channel) wakeAllLocked() {
	ch.stdout.readable.Broadcast()
	ch.stderr.readable.Broadcast()
	ch.sendable.Broadcast()
}

// register gives ch a local id; it fails once the connection has ended.
func (c *Conn) register(ch *Channel) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chans == nil {
		return c.errOrClosed()
	}
	for {
		id := c.nextID
		c.nextID++
		if _, used := c.chans[id]; !used {
			ch.localID = id
			c.chans[id] = ch
			return nil
		}
	}
}

// errOrClosed is the connection's error, for callers holding c.mu after
// the loop ended but maybe before done is closed.
func (c *Conn) errOrClosed() error {
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}

func (c *Conn) unregister(ch *Channel) {
	c.mu.Lock()
	if c.chans != nil && c.chans[ch.localID] == ch {
		delete(c.chans, ch.localID)
		if len(c.chans) == 0 {
			// A map keeps its storage when emptied; an idle connection
			// need not (an empty map is its header alone).
			c.chans = make(map[uint32]*Channel)
		}
	}
	c.mu.Unlock()
}

// Type returns the channel type, e.g. "session".
func (ch *Channel) Type() string { return ch.typ }

// ExtraData returns the type-specific data of the peer's confirmation.
func (ch *Channel) ExtraData() []byte { return ch.extra }

// Done is closed when the channel has ended: both sides closed it, or the
// connection ended.
func (ch *Channel) Done() <-chan struct{} { return ch.done }

// ExitStatus returns the "exit-status" the peer sent, if it did. It is
// final once Done is closed.
func (ch *Channel) ExitStatus() (int, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.exitStatus, ch.hasExitStatus
}

// ExitSignal returns the "exit-signal" the peer sent, or nil.
func (ch *Channel) ExitSignal() *ExitSignal {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.exitSignal
}

// ReceiveWindow returns the current size of the receive window, which
// grows while the peer is limited by it.
func (ch *Channel) ReceiveWindow() uint32 {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.window
}

// HandleRequests sets the handler for the peer's channel requests other
// than exit-status, exit-signal and keepalive@openssh.com, which the
// channel handles itself. It runs on the read loop and must not block;
// its result is the reply when one is wanted. Without a handler, requests
// are refused.
func (ch *Channel) HandleRequests(h func(req *Request) bool) {
	ch.mu.Lock()
	ch.handler = h
	ch.mu.Unlock()
}

// Read reads the channel's data. It returns io.EOF after the peer's EOF
// or CLOSE once the data before it was read.
func (ch *Channel) Read(p []byte) (int, error) { return ch.read(&ch.stdout, p) }

// Stderr returns a reader for the extended data of type 1 (stderr).
func (ch *Channel) Stderr() io.Reader { return stderrReader{ch} }

type stderrReader struct{ ch *Channel }

func (r stderrReader) Read(p []byte) (int, error) { return r.ch.read(&r.ch.stderr, p) }

// WriteTo writes the stderr data to w until EOF; see Channel.WriteTo.
func (r stderrReader) WriteTo(w io.Writer) (int64, error) { return r.ch.writeTo(&r.ch.stderr, w) }

// WriteTo writes the channel's data to w until EOF, for io.Copy. It
// writes straight from the receive buffer, everything buffered at once
// (up to maxWriteTo), where Read would copy through the caller's buffer
// in pieces of its size: fewer copies, and fewer and larger writes (a
// pipe or socket costs a system call per write).
func (ch *Channel) WriteTo(w io.Writer) (int64, error) { return ch.writeTo(&ch.stdout, w) }

// maxWriteTo bounds one write of WriteTo, so that the window consumed
// is given back to the peer while a large buffer is written out.
const maxWriteTo = 256 << 10

func (ch *Channel) writeTo(r *ring, w io.Writer) (int64, error) {
	var total int64
	for {
		ch.mu.Lock()
		if err := ch.waitReadableLocked(r); err != nil {
			ch.mu.Unlock()
			if err == io.EOF {
				err = nil
			}
			return total, err
		}
		p := r.front(maxWriteTo)
		r.lent = true
		ch.mu.Unlock()

		n, err := w.Write(p)
		if n > len(p) || n < 0 {
			n = 0
			if err == nil {
				err = errors.New("connection: invalid count from Write")
			}
		}
		if err == nil && n < len(p) {
			err = io.ErrShortWrite
		}
		ch.mu.Lock()
		if !ch.localClosed { // Close released the buffer
			r.lent = false
			r.discard(n)
		}
		ch.consumed += uint32(n)
		r.readable.Broadcast() // readers wait while the buffer is lent
		adj, ping := ch.takeAdjustLocked()
		ch.mu.Unlock()
		ch.grant(adj, ping)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// waitReadableLocked waits until r has data to read, or returns why it
// never will: io.EOF after the peer's EOF or CLOSE, or another error.
func (ch *Channel) waitReadableLocked(r *ring) error {
	for r.len() == 0 || r.lent || ch.readDeadline.exceeded {
		switch {
		case ch.readDeadline.exceeded:
			return errDeadline
		case ch.localClosed:
			return ErrChannelClosed
		case r.lent:
			// Another reader's WriteTo is writing out the front.
		case ch.eofRcvd || ch.closeRcvd:
			return io.EOF
		case ch.err != nil:
			return ch.err
		}
		r.waits++
		r.readable.Wait()
	}
	return nil
}

// grant sends a window adjust from takeAdjustLocked. The ping goes
// first, so that its reply comes before any data the adjust lets the
// peer send.
func (ch *Channel) grant(adj uint32, ping bool) {
	if adj > 0 {
		if ping {
			ch.conn.startPing(ch)
		}
		ch.sendAdjust(adj)
	}
}

func (ch *Channel) read(r *ring, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	ch.mu.Lock()
	if err := ch.waitReadableLocked(r); err != nil {
		ch.mu.Unlock()
		return 0, err
	}
	n := r.read(p)
	ch.consumed += uint32(n)
	adj, ping := ch.takeAdjustLocked()
	ch.mu.Unlock()
	ch.grant(adj, ping)
	return n, nil
}

// takeAdjustLocked returns the window to give back to the peer, once the
// application consumed an eighth of the window, and whether to measure
// the round trip for growing the window: when the application keeps up
// (little is buffered) and the window may still grow. The measurement
// then starts here, with the window the peer has left before this
// adjust.
//
// Why an eighth: window comes back to the peer a round trip after it is
// consumed, so what is held back until the next adjust is window the
// peer cannot use. Giving it back at half the window let a window-limited
// peer send about half a window per round trip (143 MB/s with 16 MiB at
// 50 ms through internal/latency, where 16 MiB per round trip is
// 335 MB/s); at an eighth it is seven eighths (282 MB/s). OpenSSH gives
// window back every three packets; an eighth costs one adjust per eight
// packets at the initial 2 MiB window, fewer as it grows.
func (ch *Channel) takeAdjustLocked() (uint32, bool) {
	if (ch.consumed < ch.window/ch.adjustFractionLocked() && !ch.grew) || ch.closeSent || ch.closeRcvd || ch.err != nil {
		return 0, false
	}
	n := ch.consumed
	ch.consumed = 0
	ch.grew = false
	ch.pingHold -= min(ch.pingHold, uint64(n))
	ping := false
	if !ch.sampling && ch.pingHold == 0 && ch.window < ch.maxWindow && ch.stdout.len()+ch.stderr.len() < int(ch.window/4) {
		ping = true
		ch.pings++
		ch.sampling = true
		ch.sample = 0
		ch.pingGrant = ch.granted
		ch.pingSent = time.Now()
	}
	ch.granted += n
	return n, ping
}

// adjustFraction: the window is given back in pieces of this fraction.
const adjustFraction = 8

// adjustFractionLocked is adjustFraction, or 2 (OpenSSH's half window)
// once a measurement's round trip took under localRTT: half of even the
// first 2 MiB window per such round trip is over 1 GB/s, so the peer is
// not held back, and each adjust costs both sides a packet and the server
// a turn of its loop. On loopback all six downloads of three interleaved
// pairs of runs were faster (BENCHMARKS.md).
func (ch *Channel) adjustFractionLocked() uint32 {
	if ch.minRTT > 0 && ch.minRTT < localRTT {
		return 2
	}
	return adjustFraction
}

// localRTT is the round trip under which a path is taken to be local.
const localRTT = time.Millisecond

func (ch *Channel) sendAdjust(n uint32) {
	ch.sendMsg(appendWindowAdjust(nil, ch.remoteID, n), false)
}

// sendMsg sends a message on the channel unless we already closed it.
func (ch *Channel) sendMsg(msg []byte, closing bool) (sent bool, err error) {
	ch.sendMu.Lock()
	defer ch.sendMu.Unlock()
	ch.mu.Lock()
	if ch.closeSent {
		ch.mu.Unlock()
		return false, nil
	}
	if closing {
		ch.closeSent = true
	}
	ch.mu.Unlock()
	return true, ch.conn.t.WritePacket(msg)
}

// pingReply ends a round-trip measurement, at time now. If the peer
// used up the window it had left within that round trip, and the rate
// it sent at is clearly the highest seen yet, the window limits it (the
// bandwidth-delay product is larger), so the window doubles.
//
// The rate rule is gRPC's BDP estimator's. Without it the window grew to
// the cap on loopback too: the peer always has data queued there, and
// the reply to the ping waits behind it, so the peer "uses up" any
// window within the round trip it inflates. A window-limited peer sends
// about twice as fast once the window doubled; a peer that was not
// limited by it (a queue, not the round trip, made the sample) sends no
// faster. On loopback against OpenSSH a 16 MiB window was worse than
// useless: downloads fell to ~100 MB/s with sshd at 95% CPU.
//
// The growth is granted by the next Read, with the window the
// application consumed: the read loop itself does not write here, so it
// never waits behind writers queued during a key exchange that only it
// can finish.
func (ch *Channel) pingReply(now time.Time) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.sampling = false
	if rtt := now.Sub(ch.pingSent); ch.minRTT == 0 || rtt < ch.minRTT {
		ch.minRTT = rtt
	}
	if ch.window >= ch.maxWindow || ch.closeSent || ch.closeRcvd || ch.err != nil {
		return
	}
	if ch.sample == 0 || ch.sample < ch.pingGrant/8*7 {
		ch.holdPingsLocked()
		return
	}
	rate := float64(ch.sample) / max(now.Sub(ch.pingSent).Seconds(), 1e-6)
	if rate < ch.bestRate*rateGain {
		ch.bestRate = max(ch.bestRate, rate)
		ch.holdPingsLocked()
		return
	}
	ch.bestRate = rate
	ch.flatSamples = 0
	w := min(ch.window*2, ch.maxWindow)
	ch.consumed += w - ch.window
	ch.window = w
	ch.grew = true
}

// holdPingsLocked spaces out the measurements after one that did not grow
// the window: the next waits until the application consumed one window,
// then two, four and at most eight after further such measurements in a
// row. On loopback, where the window never limits, a ping went out with
// nearly every window adjust, about 3,000 per GiB, each a packet each way
// for both sides to seal, open and write; spaced out, a few dozen. A
// measurement that grows the window ends the spacing, so growth to the
// bandwidth-delay product goes at one doubling per round trip as before.
func (ch *Channel) holdPingsLocked() {
	ch.pingHold = uint64(ch.window) << min(ch.flatSamples, 3)
	ch.flatSamples++
}

// rateGain is how much faster than the best measurement so far the peer
// must have sent for the window to grow again: a window-limited peer
// sends up to twice as fast after a doubling, measurement noise is less.
const rateGain = 1.25

// writableLocked says why Write cannot send, or nil.
func (ch *Channel) writableLocked() error {
	switch {
	case ch.localClosed || ch.closeSent:
		return ErrChannelClosed
	case ch.eofSent:
		return ErrWriteClosed
	case ch.closeRcvd:
		return io.EOF
	case ch.err != nil:
		return ch.err
	}
	return nil
}

// Write sends p as channel data, in messages no larger than the peer's
// maximum packet, waiting for window as needed.
func (ch *Channel) Write(p []byte) (int, error) {
	ch.wmu.Lock()
	defer ch.wmu.Unlock()
	written := 0
	for len(p) > 0 {
		ch.mu.Lock()
		for ch.remoteWindow == 0 && ch.writableLocked() == nil && !ch.writeDeadline.exceeded {
			ch.sendable.Wait()
		}
		err := ch.writableLocked()
		if err == nil && ch.writeDeadline.exceeded {
			err = errDeadline
		}
		if err != nil {
			ch.mu.Unlock()
			return written, err
		}
		n := min(uint32(len(p)), ch.remoteWindow, ch.remoteMax, maxChunk)
		ch.remoteWindow -= n
		ch.mu.Unlock()
		ch.wbuf = appendDataHeader(ch.wbuf[:0], ch.remoteID, int(n))
		ch.wbuf = append(ch.wbuf, p[:n]...)
		ch.sendMu.Lock()
		ch.mu.Lock()
		err = ch.writableLocked()
		ch.mu.Unlock()
		if err == nil {
			err = ch.conn.t.WritePacket(ch.wbuf)
		}
		ch.sendMu.Unlock()
		if err != nil {
			return written, err
		}
		written += int(n)
		p = p[n:]
	}
	return written, nil
}

// CloseWrite sends EOF: the peer reads the end of the data (a command's
// stdin is closed). The channel still receives.
func (ch *Channel) CloseWrite() error {
	ch.wmu.Lock()
	defer ch.wmu.Unlock()
	ch.sendMu.Lock()
	defer ch.sendMu.Unlock()
	ch.mu.Lock()
	if err := ch.writableLocked(); err != nil {
		ch.mu.Unlock()
		return err
	}
	ch.eofSent = true
	ch.wakeAllLocked()
	ch.mu.Unlock()
	return ch.conn.t.WritePacket(appendRecipient(nil, wire.MsgChannelEOF, ch.remoteID))
}

// Close closes the channel: it sends CLOSE, and blocked calls on the
// channel return. The exit status may still arrive before the peer's
// CLOSE; Done says when it has.
func (ch *Channel) Close() error {
	ch.mu.Lock()
	if ch.localClosed {
		ch.mu.Unlock()
		return nil
	}
	ch.localClosed = true
	ch.stdout.release()
	ch.stderr.release()
	ch.wakeAllLocked()
	ch.mu.Unlock()
	_, err := ch.sendMsg(appendRecipient(nil, wire.MsgChannelClose, ch.remoteID), true)
	if err != nil {
		if e := ch.conn.errIfDone(); e != nil {
			return e
		}
	}
	return err
}

// SendRequest sends a channel request. With wantReply it waits for the
// reply, matched in order with the channel's other requests.
func (ch *Channel) SendRequest(name string, wantReply bool, payload []byte) (bool, error) {
	return ch.SendRequestContext(context.Background(), name, wantReply, payload)
}

// SendRequestContext is SendRequest with ctx bounding the wait for the
// reply. A reply that comes after ctx ended is matched and dropped.
func (ch *Channel) SendRequestContext(ctx context.Context, name string, wantReply bool, payload []byte) (bool, error) {
	msg := appendChannelRequest(nil, ch.remoteID, name, wantReply, payload)
	var reply chan bool
	ch.sendMu.Lock()
	ch.mu.Lock()
	var err error
	switch {
	case ch.localClosed || ch.closeSent:
		err = ErrChannelClosed
	case ch.closeRcvd:
		err = io.EOF
	case ch.err != nil:
		err = ch.err
	}
	if err == nil && wantReply {
		reply = make(chan bool, 1)
		ch.replies = append(ch.replies, reply)
	}
	ch.mu.Unlock()
	if err == nil {
		err = ch.conn.t.WritePacket(msg)
	}
	ch.sendMu.Unlock()
	if err != nil || !wantReply {
		return false, err
	}
	var ok, alive bool
	select {
	case ok, alive = <-reply:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if !alive {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if ch.err != nil {
			return false, ch.err
		}
		return false, io.EOF
	}
	return ok, nil
}

// fail ends the channel because the connection ended with err.
func (ch *Channel) fail(err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.err = err
	if ch.state == stateOpening || ch.state == stateAbandoned {
		ch.state = stateFailed
		ch.openErr = err
		close(ch.opened)
	}
	ch.finishLocked()
}

// finishLocked wakes everyone and fails pending replies, once.
func (ch *Channel) finishLocked() {
	ch.wakeAllLocked()
	if ch.finished {
		return
	}
	ch.finished = true
	ch.stopDeadlinesLocked()
	for _, r := range ch.replies {
		close(r)
	}
	ch.replies = nil
	close(ch.done)
}

// Err returns the connection's error if the channel ended because the
// connection did, and nil otherwise.
func (ch *Channel) Err() error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.err
}
