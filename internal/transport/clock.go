package transport

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshakeClock keeps the connection's deadline while Client runs.
//
//   - BannerTimeout bounds the wait for the server's version line,
//     counted from the start.
//   - An explicit HandshakeTimeout (paramiko's timeout, which bounds its
//     start_client) bounds the whole handshake from the start, the
//     banner included. The default one bounds the negotiation after the
//     version line, so that a BannerTimeout longer than it (paramiko's
//     banner_timeout=60 for a slow device) is not cut short.
//   - Time spent in the host key callback is not counted: a missing host
//     key policy may ask a person, or a database, and paramiko runs it
//     with no timeout. The context is the callback's to honour.
//   - A cancelled context interrupts whatever read or write is blocked.
type handshakeClock struct {
	conn        net.Conn
	stopAfter   func() bool
	bannerAfter time.Duration // 0: none
	totalAfter  time.Duration // 0: none
	fromBanner  bool          // totalAfter counts from the version line

	// negotiationCtx is the caller's context within the negotiation's
	// deadline, for what a key exchange method does beyond the
	// connection (GSS-API's KDC).
	negotiationCtx context.Context
	cancelCtx      context.CancelFunc

	mu       sync.Mutex
	ctx      context.Context
	ctxDone  bool // the context ended: the deadline stays in the past
	phase    string
	deadline time.Time // of the current phase; zero: none
	start    time.Time
	paused   time.Time // zero unless the host key callback runs
}

func newHandshakeClock(ctx context.Context, conn net.Conn, cfg *Config) *handshakeClock {
	defaultTotal := DefaultHandshakeTimeout
	if cfg.defaultHandshakeTimeout != 0 {
		defaultTotal = cfg.defaultHandshakeTimeout
	}
	k := &handshakeClock{
		conn:           conn,
		ctx:            ctx,
		start:          time.Now(),
		bannerAfter:    max(0, timeoutOrDefault(cfg.BannerTimeout, DefaultBannerTimeout)),
		totalAfter:     max(0, timeoutOrDefault(cfg.HandshakeTimeout, defaultTotal)),
		fromBanner:     cfg.HandshakeTimeout == 0,
		negotiationCtx: ctx,
		cancelCtx:      func() {},
	}
	k.stopAfter = context.AfterFunc(ctx, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.ctxDone = true
		conn.SetDeadline(time.Unix(1, 0))
	})
	return k
}

// enter starts a phase: "banner", then "handshake".
func (k *handshakeClock) enter(phase string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.phase = phase
	total := k.after(k.start, k.totalAfter)
	if k.fromBanner {
		total = k.after(time.Now(), k.totalAfter) // for the negotiation
	}
	if phase == "banner" {
		k.deadline = k.after(k.start, k.bannerAfter)
		if !k.fromBanner {
			k.deadline = earliest(k.deadline, total)
		}
	} else {
		k.deadline = total
		if !total.IsZero() {
			k.negotiationCtx, k.cancelCtx = context.WithDeadline(k.ctx, total)
		}
	}
	k.setLocked()
}

func (k *handshakeClock) after(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return from.Add(d)
}

// setLocked gives the connection the current deadline, unless the
// context ended, whose past deadline stays.
func (k *handshakeClock) setLocked() {
	if !k.ctxDone {
		k.conn.SetDeadline(k.deadline)
	}
}

// pause stops the clock until the returned function is called: the
// connection's deadline moves on by the time in between. negotiationCtx's
// does not: nothing uses it after the host key callback (a GSS-API key
// exchange, its one user, is done by then).
func (k *handshakeClock) pause() (resume func()) {
	k.mu.Lock()
	k.paused = time.Now()
	if !k.ctxDone {
		k.conn.SetDeadline(time.Time{})
	}
	k.mu.Unlock()
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		elapsed := time.Since(k.paused)
		k.paused = time.Time{}
		k.start = k.start.Add(elapsed)
		if !k.deadline.IsZero() {
			k.deadline = k.deadline.Add(elapsed)
		}
		k.setLocked()
	}
}

// timeoutError describes the deadline that passed.
func (k *handshakeClock) timeoutError() *TimeoutError {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.phase == "banner" && (k.fromBanner || k.bannerAfter > 0 && (k.totalAfter == 0 || k.bannerAfter <= k.totalAfter)) {
		return &TimeoutError{Phase: "banner", After: k.bannerAfter}
	}
	return &TimeoutError{Phase: "handshake", After: k.totalAfter}
}

// stop ends the clock and reports whether the context ended first, in
// which case the connection's deadline is in the past.
func (k *handshakeClock) stop() (interrupted bool) {
	k.cancelCtx()
	return !k.stopAfter()
}

// callHostKeyCallback runs the host key callback with the handshake's
// clock stopped.
func (c *Conn) callHostKeyCallback(key ssh.PublicKey) error {
	if c.clock != nil {
		defer c.clock.pause()()
	}
	return c.cfg.HostKeyCallback(key)
}
