package connection

import (
	"testing"
	"time"
)

// TestWindowGrowsOnlyWhenTheRateRises: a measurement grows the window
// when the peer used up its window within the round trip and sent
// faster than ever; a full window that came no faster (a queue made the
// round trip longer, as on loopback) leaves it.
func TestWindowGrowsOnlyWhenTheRateRises(t *testing.T) {
	c := newConn(newFake(), Config{})
	defer c.shutdown(ErrClosed)
	ch := c.newChannel("session")
	t0 := time.Now()
	measure := func(sample, grant uint32, rtt time.Duration) uint32 {
		ch.sampling, ch.sample, ch.pingGrant, ch.pingSent = true, sample, grant, t0
		ch.pingReply(t0.Add(rtt))
		return ch.window
	}
	const mib = 1 << 20
	steps := []struct {
		sample, grant uint32
		rtt           time.Duration
		want          uint32
	}{
		{2 * mib, 2 * mib, 50 * time.Millisecond, 4 * mib},    // the first full window
		{4 * mib, 4 * mib, 100 * time.Millisecond, 4 * mib},   // full, but no faster
		{3 * mib, 4 * mib, 25 * time.Millisecond, 4 * mib},    // faster, not full
		{4 * mib, 4 * mib, 50 * time.Millisecond, 8 * mib},    // full and twice as fast
		{8 * mib, 8 * mib, 60 * time.Millisecond, 16 * mib},   // full and faster
		{16 * mib, 16 * mib, 50 * time.Millisecond, 32 * mib}, // full and faster
		{32 * mib, 32 * mib, 50 * time.Millisecond, 32 * mib}, // at the cap
	}
	for i, s := range steps {
		if got := measure(s.sample, s.grant, s.rtt); got != s.want {
			t.Fatalf("step %d: window %d MiB, want %d MiB", i, got/mib, s.want/mib)
		}
		if ch.sampling {
			t.Fatalf("step %d: still sampling", i)
		}
	}
}

// TestFlatMeasurementsSpaceOutPings: after a measurement that did not
// grow the window the next waits until one window was consumed, then two,
// four, and at most eight; one that grows the window ends the spacing.
func TestFlatMeasurementsSpaceOutPings(t *testing.T) {
	c := newConn(newFake(), Config{})
	defer c.shutdown(ErrClosed)
	ch := c.newChannel("session")
	const mib = 1 << 20
	t0 := time.Now()
	// consumeUntilPing gives back window in eighths, as reads do, until a
	// measurement starts, and returns how much was consumed before it.
	consumeUntilPing := func() uint32 {
		var total uint32
		for range 1000 {
			ch.consumed += ch.window / adjustFraction
			total += ch.window / adjustFraction
			if _, ping := ch.takeAdjustLocked(); ping {
				return total
			}
		}
		t.Fatal("no measurement")
		return 0
	}
	answer := func(sample uint32, rtt time.Duration) {
		ch.sample = sample
		ch.pingReply(t0.Add(rtt))
		t0 = t0.Add(time.Second)
		ch.pingSent = t0
	}
	ch.pingSent = t0
	if got := consumeUntilPing(); got != ch.window/adjustFraction {
		t.Fatalf("first measurement after %d bytes, want at the first adjust", got)
	}
	answer(mib, 50*time.Millisecond) // not a full window: flat
	for _, windows := range []uint32{1, 2, 4, 8, 8} {
		if got, want := consumeUntilPing(), windows*ch.window; got != want {
			t.Fatalf("after a flat measurement: next after %d MiB consumed, want %d MiB", got/mib, want/mib)
		}
		answer(mib, 50*time.Millisecond)
	}
	consumeUntilPing()
	answer(ch.pingGrant, time.Millisecond) // full and fast: grows
	if ch.window != 4*mib {
		t.Fatalf("window %d MiB, want 4", ch.window/mib)
	}
	if got := consumeUntilPing(); got != ch.window/adjustFraction {
		t.Fatalf("after growth: next measurement after %d bytes, want at the next adjust", got)
	}
}

// TestLocalPathGetsWindowBackInHalves: window comes back in eighths until
// a measurement shows a round trip under a millisecond, then in halves;
// a long round trip keeps the eighths.
func TestLocalPathGetsWindowBackInHalves(t *testing.T) {
	for _, tc := range []struct {
		rtt     time.Duration
		pieces  uint32
		comment string
	}{
		{0, 8, "no measurement"},
		{200 * time.Microsecond, 2, "local"},
		{50 * time.Millisecond, 8, "50 ms"},
	} {
		c := newConn(newFake(), Config{})
		ch := c.newChannel("session")
		if tc.rtt > 0 {
			t0 := time.Now()
			ch.sampling, ch.sample, ch.pingGrant, ch.pingSent = true, 1<<20, ch.window, t0
			ch.pingReply(t0.Add(tc.rtt))
		}
		piece := ch.window / tc.pieces
		ch.consumed = piece - 1
		if n, _ := ch.takeAdjustLocked(); n != 0 {
			t.Errorf("%s: adjust of %d before 1/%d of the window was consumed", tc.comment, n, tc.pieces)
		}
		ch.consumed++
		if n, _ := ch.takeAdjustLocked(); n != piece {
			t.Errorf("%s: adjust of %d after 1/%d of the window, want %d", tc.comment, n, tc.pieces, piece)
		}
		c.shutdown(ErrClosed)
	}
}
