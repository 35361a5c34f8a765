package connection

import (
	"fmt"
	"time"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// KeepaliveError ends a connection whose peer stopped answering: Count
// keepalives went unanswered, Interval apart (OpenSSH's
// ServerAliveInterval and ServerAliveCountMax). It is a timeout.
type KeepaliveError struct {
	Interval time.Duration
	Count    int
}

func (e *KeepaliveError) Error() string {
	if e.Count == 0 {
		// No probe was sent: the caller gave up on the first silence.
		return fmt.Sprintf("ssh: server stopped answering: nothing came for %v", e.Interval)
	}
	return fmt.Sprintf("ssh: server stopped answering: %d keepalives %v apart went unanswered", e.Count, e.Interval)
}

// Timeout reports true, so that the error reads as a net.Error timeout.
func (e *KeepaliveError) Timeout() bool { return true }

// Temporary reports false: the connection is gone.
func (e *KeepaliveError) Temporary() bool { return false }

// keepalive probes a quiet peer the way OpenSSH's client does: an
// interval without any message from the peer sends keepalive@openssh.com
// wanting a reply; any message from the peer resets the count; once more
// than CountMax probes went unanswered the connection ends. A negative
// CountMax sends none: the first interval with nothing from the peer ends
// the connection (OpenSSH's ServerAliveCountMax 0). It runs on a timer,
// not a goroutine of its own, so an idle connection keeps only its read
// loop.
type keepalive struct {
	interval time.Duration
	countMax int // 0: end at the first silent interval, without a probe
	timer    *time.Timer

	seen   uint64 // c.received at the last tick
	missed int    // probes sent since the peer was last heard
}

func (c *Conn) startKeepalive() {
	if c.cfg.KeepaliveInterval <= 0 {
		return
	}
	c.ka.interval = c.cfg.KeepaliveInterval
	switch c.ka.countMax = c.cfg.KeepaliveCountMax; {
	case c.ka.countMax == 0:
		c.ka.countMax = 3
	case c.ka.countMax < 0:
		c.ka.countMax = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ka.timer = time.AfterFunc(c.ka.interval, c.keepaliveTick)
}

func (c *Conn) keepaliveTick() {
	c.mu.Lock()
	if c.chans == nil {
		c.mu.Unlock()
		return
	}
	heard := false
	if n := c.received.Load(); n != c.ka.seen {
		c.ka.seen = n
		c.ka.missed = 0
		heard = true
	}
	if c.ka.countMax == 0 && heard {
		c.ka.timer.Reset(c.ka.interval)
		c.mu.Unlock()
		return
	}
	if c.ka.missed >= c.ka.countMax {
		c.keepaliveErr = &KeepaliveError{Interval: c.ka.interval, Count: c.ka.missed}
		c.mu.Unlock()
		// Closing the transport ends the read loop, which fails every
		// channel with keepaliveErr, and unblocks any writer.
		c.t.Close()
		return
	}
	c.ka.missed++
	// Re-arm before sending: a send that blocks on a dead peer must not
	// stop the next tick from giving up.
	c.ka.timer.Reset(c.ka.interval)
	c.mu.Unlock()
	msg := wire.AppendGlobalRequest(nil, "keepalive@openssh.com", true, nil)
	c.sendGlobal(msg, globalWaiter{}, true)
}

// stopKeepaliveLocked stops the timer once the connection ended.
func (c *Conn) stopKeepaliveLocked() {
	if c.ka.timer != nil {
		c.ka.timer.Stop()
	}
}
