package connection

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// Transport is what the connection layer runs over: an authenticated
// transport such as *transport.Conn. ReadPacket is called by one
// goroutine only, and its result is used before the next call;
// WritePacket may be called from any goroutine.
type Transport interface {
	ReadPacket() ([]byte, error)
	WritePacket(payload []byte) error
	Close() error
}

// Config tunes a Conn. The zero value gives OpenSSH's defaults.
type Config struct {
	// InitialWindow is each channel's first receive window; 2 MiB if
	// zero.
	InitialWindow uint32
	// MaxWindow caps the receive window as it grows; 32 MiB if zero. A
	// value below InitialWindow keeps the window fixed.
	MaxWindow uint32
	// MaxPacket is the largest data message accepted on a channel;
	// 128 KiB if zero, and at most that.
	MaxPacket uint32

	// KeepaliveInterval, if positive, sends keepalive@openssh.com to a
	// peer that was silent that long; after more than KeepaliveCountMax
	// (3 if zero) unanswered probes the connection ends with a
	// *KeepaliveError. OpenSSH's ServerAliveInterval and
	// ServerAliveCountMax. A negative count sends no probe: the first
	// silent interval ends the connection.
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
}

const (
	defaultWindow    = 2 << 20
	defaultMaxWindow = 32 << 20
	limitWindow      = 1 << 30 // keeps window arithmetic far from 2^32
	limitMaxPacket   = 128 << 10
	// defaultMaxPacket is four times OpenSSH's 32 KiB, for the sake of
	// OpenSSH's sshd as a sender. It reads a command's output into a
	// channel buffer 32 KiB at a time, as far as the window it has left,
	// and sends one packet of at most this size per turn of its loop.
	// With 32 KiB packets, whatever it buffered while it could not send
	// (a busy moment, a full socket) stays buffered: each turn reads as
	// much as it sends. With larger packets it drains. That matters
	// because since OpenSSH 8.9 the buffer grows in small steps, each a
	// copy and a zeroing of all of it, which is quadratic in the size it
	// reaches: at 50 ms round trip time with a 32 MiB window, half of the
	// downloads from sshd stalled for seconds with sshd at a full core,
	// and none did with 128 KiB (BENCHMARKS.md).
	defaultMaxPacket = limitMaxPacket
	// maxChunk bounds the data we put in one message, whatever the peer
	// allows, to stay well within the transport's packet size.
	maxChunk = 128 << 10
)

func (cfg Config) withDefaults() Config {
	if cfg.InitialWindow == 0 {
		cfg.InitialWindow = defaultWindow
	}
	cfg.InitialWindow = min(cfg.InitialWindow, limitWindow)
	if cfg.MaxWindow == 0 {
		cfg.MaxWindow = defaultMaxWindow
	}
	cfg.MaxWindow = min(max(cfg.MaxWindow, cfg.InitialWindow), limitWindow)
	if cfg.MaxPacket == 0 {
		cfg.MaxPacket = defaultMaxPacket
	}
	cfg.MaxPacket = min(cfg.MaxPacket, limitMaxPacket)
	return cfg
}

// Conn is the connection protocol over one transport: channels and global
// requests. Its only goroutine is the read loop, started by New.
type Conn struct {
	t   Transport
	cfg Config

	// greqMu keeps the order of global requests on the wire the order of
	// their reply slots.
	greqMu sync.Mutex

	mu       sync.Mutex
	chans    map[uint32]*Channel // by local id; nil once the loop ended
	nextID   uint32
	handlers map[string]func(*NewChannel) // nil until one is set
	waiters  []globalWaiter               // global requests awaiting a reply, in order
	bdpPing  bool                         // a window-sizing ping is outstanding
	closing  bool
	err      error // why the loop ended

	received     atomic.Uint64 // messages from the peer, for keepalives
	ka           keepalive
	keepaliveErr error // set when keepalives gave up

	done chan struct{} // closed when the read loop has ended
}

// globalWaiter is one global request waiting for its reply: the user's
// (reply) or the window estimator's (ch).
type globalWaiter struct {
	reply chan globalReply
	ch    *Channel
}

type globalReply struct {
	ok   bool
	data []byte
}

// New starts the connection protocol over t, with the default Config.
func New(t Transport) *Conn { return NewWithConfig(t, Config{}) }

// NewWithConfig starts the connection protocol over t.
func NewWithConfig(t Transport, cfg Config) *Conn {
	c := newConn(t, cfg)
	c.startKeepalive()
	go c.loop()
	return c
}

func newConn(t Transport, cfg Config) *Conn {
	return &Conn{
		t:     t,
		cfg:   cfg.withDefaults(),
		chans: make(map[uint32]*Channel),
		done:  make(chan struct{}),
	}
}

// Wait blocks until the connection ends and returns why: ErrClosed after
// Close, or the transport's or a protocol error.
func (c *Conn) Wait() error {
	<-c.done
	return c.err
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close closes the transport and waits for the read loop to end; every
// blocked call returns. It must not be called from a handler, which runs
// on the read loop.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.t.Close()
	<-c.done
	return nil
}

func (c *Conn) loop() {
	var err error
	for {
		p, e := c.t.ReadPacket()
		if e != nil {
			err = e
			break
		}
		c.received.Add(1)
		if len(p) == 0 {
			continue
		}
		if e := c.dispatch(p); e != nil {
			err = e
			break
		}
	}
	c.shutdown(err)
	close(c.done)
}

// shutdown ends every channel and request with err.
func (c *Conn) shutdown(err error) {
	c.mu.Lock()
	switch {
	case c.closing:
		err = ErrClosed
	case c.keepaliveErr != nil:
		err = c.keepaliveErr
	}
	c.stopKeepaliveLocked()
	c.err = err
	chans := c.chans
	c.chans = nil
	waiters := c.waiters
	c.waiters = nil
	c.mu.Unlock()
	var pe *ProtocolError
	if errors.As(err, &pe) {
		d := wire.Disconnect{Reason: wire.DisconnectProtocolError, Message: pe.Reason}
		c.t.WritePacket(d.Append(nil))
	}
	c.t.Close()
	for _, w := range waiters {
		if w.reply != nil {
			close(w.reply)
		}
	}
	for _, ch := range chans {
		ch.fail(err)
	}
}

// dispatch handles one message from the peer.
func (c *Conn) dispatch(p []byte) error {
	switch p[0] {
	case wire.MsgGlobalRequest:
		m, err := parseGlobalRequest(p)
		if err != nil {
			return err
		}
		// OpenSSH's client refuses every global request (hostkeys-00,
		// keepalive); a server's keepalive only needs an answer.
		if m.WantReply {
			return c.t.WritePacket([]byte{wire.MsgRequestFailure})
		}
		return nil
	case wire.MsgRequestSuccess, wire.MsgRequestFailure:
		return c.globalReply(p)
	case wire.MsgChannelOpen:
		return c.incomingOpen(p)
	}
	if p[0] < wire.MsgChannelOpenConfirm || p[0] > wire.MsgChannelFailure {
		return c.unimplemented(p[0])
	}
	if len(p) < 5 {
		return malformed("channel")
	}
	id := uint32(p[1])<<24 | uint32(p[2])<<16 | uint32(p[3])<<8 | uint32(p[4])
	c.mu.Lock()
	ch := c.chans[id]
	gone := id < c.nextID // ids are not reused before they wrap
	c.mu.Unlock()
	if ch == nil {
		if gone && (p[0] == wire.MsgChannelSuccess || p[0] == wire.MsgChannelFailure) {
			// A reply to a request on a channel already closed: paramiko's
			// servers answer after their callback returns, when a quick
			// command may have closed the channel; OpenSSH's client drops
			// these too.
			return nil
		}
		return protocolErrorf("message %d for unknown channel %d", p[0], id)
	}
	return ch.handle(p)
}

// unimplemented answers a message this layer does not know (a private
// extension, a userauth message after authentication) with
// SSH_MSG_UNIMPLEMENTED, as RFC 4253 section 11.4 requires, when the
// transport can name its sequence number; otherwise it is an error.
func (c *Conn) unimplemented(msg byte) error {
	t, ok := c.t.(interface{ LastSeq() uint32 })
	if !ok {
		return protocolErrorf("unexpected message %d", msg)
	}
	return c.t.WritePacket(wire.AppendUnimplemented(nil, t.LastSeq()))
}

// globalReply matches a REQUEST_SUCCESS or REQUEST_FAILURE to the oldest
// request waiting.
func (c *Conn) globalReply(p []byte) error {
	c.mu.Lock()
	if len(c.waiters) == 0 {
		c.mu.Unlock()
		return protocolErrorf("global request reply without a request")
	}
	w := c.waiters[0]
	c.waiters[0] = globalWaiter{}
	c.waiters = c.waiters[1:]
	if w.ch != nil {
		c.bdpPing = false
	}
	c.mu.Unlock()
	ok := p[0] == wire.MsgRequestSuccess
	if w.ch != nil {
		w.ch.pingReply(time.Now())
		return nil
	}
	if w.reply == nil {
		return nil // a keepalive's
	}
	r := globalReply{ok: ok}
	if ok && len(p) > 1 {
		r.data = append([]byte(nil), p[1:]...)
	}
	w.reply <- r
	return nil
}

// SendGlobalRequest sends a global request. With wantReply it waits for
// the reply, matched in order with every other global request, and
// returns whether the peer agreed and the data of its reply.
func (c *Conn) SendGlobalRequest(name string, wantReply bool, payload []byte) (bool, []byte, error) {
	return c.SendGlobalRequestContext(context.Background(), name, wantReply, payload)
}

// SendGlobalRequestContext is SendGlobalRequest with ctx bounding the
// wait for the reply. A reply that comes after ctx ended is still
// matched to its request (the order stays right) and dropped.
func (c *Conn) SendGlobalRequestContext(ctx context.Context, name string, wantReply bool, payload []byte) (bool, []byte, error) {
	msg := wire.AppendGlobalRequest(nil, name, wantReply, payload)
	var reply chan globalReply
	if wantReply {
		reply = make(chan globalReply, 1)
	}
	if err := c.sendGlobal(msg, globalWaiter{reply: reply}, wantReply); err != nil {
		return false, nil, err
	}
	if !wantReply {
		return false, nil, nil
	}
	select {
	case r, ok := <-reply:
		if !ok {
			return false, nil, c.Wait()
		}
		return r.ok, r.data, nil
	case <-ctx.Done():
		return false, nil, ctx.Err()
	}
}

// sendGlobal writes a global request, first queueing w for its reply.
func (c *Conn) sendGlobal(msg []byte, w globalWaiter, wantReply bool) error {
	c.greqMu.Lock()
	defer c.greqMu.Unlock()
	if wantReply {
		c.mu.Lock()
		if c.chans == nil {
			c.mu.Unlock()
			return c.Wait()
		}
		c.waiters = append(c.waiters, w)
		c.mu.Unlock()
	}
	return c.t.WritePacket(msg)
}

// startPing sends the round-trip measurement that ch started, unless
// another channel's is under way: a keepalive@openssh.com global request,
// which OpenSSH and other servers answer (with failure) after the data
// they sent before it.
func (c *Conn) startPing(ch *Channel) {
	c.mu.Lock()
	busy := c.bdpPing || c.chans == nil
	c.bdpPing = true
	c.mu.Unlock()
	if !busy {
		msg := wire.AppendGlobalRequest(nil, "keepalive@openssh.com", true, nil)
		if c.sendGlobal(msg, globalWaiter{ch: ch}, true) == nil {
			return
		}
	}
	if !busy {
		c.mu.Lock()
		c.bdpPing = false
		c.mu.Unlock()
	}
	ch.mu.Lock()
	ch.sampling = false
	ch.mu.Unlock()
}

// errOrClosed returns the error that ended the connection, or nil.
func (c *Conn) errIfDone() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}
