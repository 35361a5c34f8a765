package connection

import (
	"os"
	"time"
)

// deadline is one direction's deadline of a Channel, for net.Conn
// semantics: once it passes, blocked and later calls in that direction
// fail with os.ErrDeadlineExceeded until it is moved.
type deadline struct {
	timer    *time.Timer
	gen      uint64 // tells a stale timer from the current one
	exceeded bool
}

// setLocked moves d to t; the zero time means none. ch.mu is held.
func (ch *Channel) setDeadlineLocked(d *deadline, t time.Time) {
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.gen++
	d.exceeded = false
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.exceeded = true
		ch.wakeAllLocked()
		return
	}
	gen := d.gen
	d.timer = time.AfterFunc(wait, func() {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if d.gen == gen {
			d.exceeded = true
			ch.wakeAllLocked()
		}
	})
}

// SetReadDeadline sets when Read and the Stderr reader give up with
// os.ErrDeadlineExceeded; the zero time means never.
func (ch *Channel) SetReadDeadline(t time.Time) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.setDeadlineLocked(&ch.readDeadline, t)
	return nil
}

// SetWriteDeadline sets when a Write waiting for window gives up with
// os.ErrDeadlineExceeded; the zero time means never. What was sent
// before stays sent.
func (ch *Channel) SetWriteDeadline(t time.Time) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.setDeadlineLocked(&ch.writeDeadline, t)
	return nil
}

// SetDeadline sets both deadlines.
func (ch *Channel) SetDeadline(t time.Time) error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.setDeadlineLocked(&ch.readDeadline, t)
	ch.setDeadlineLocked(&ch.writeDeadline, t)
	return nil
}

// stopDeadlinesLocked releases the timers once the channel is done.
func (ch *Channel) stopDeadlinesLocked() {
	for _, d := range []*deadline{&ch.readDeadline, &ch.writeDeadline} {
		if d.timer != nil {
			d.timer.Stop()
			d.timer = nil
		}
	}
}

var errDeadline = os.ErrDeadlineExceeded
