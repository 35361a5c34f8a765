package connection

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// recorder is a Writer that keeps each write, and can stop after some.
type recorder struct {
	writes  [][]byte
	block   chan struct{} // if set, the first write waits for it
	entered chan struct{} // closed when the first write starts
	stopAt  int           // fail the write with errStop after this many, if > 0
}

var errStop = errors.New("writer stops")

func (r *recorder) Write(p []byte) (int, error) {
	if len(r.writes) == 0 && r.entered != nil {
		close(r.entered)
	}
	if len(r.writes) == 0 && r.block != nil {
		<-r.block
	}
	r.writes = append(r.writes, append([]byte(nil), p...))
	if r.stopAt > 0 && len(r.writes) >= r.stopAt {
		return len(p), errStop
	}
	return len(p), nil
}

// TestWriteToHandsOverWhatIsBuffered: io.Copy from a channel writes all
// the data buffered at once, in order, gives the window back, and ends
// without error at EOF.
func TestWriteToHandsOverWhatIsBuffered(t *testing.T) {
	f := newFake()
	const window = 256 << 10
	c := NewWithConfig(f, Config{InitialWindow: window, MaxWindow: window, MaxPacket: 32 << 10})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	var want []byte
	for i := range 6 {
		d := bytes.Repeat([]byte{byte('a' + i)}, 32<<10)
		want = append(want, d...)
		f.send(t, dataMsg(ch.localID, d))
	}
	f.send(t, appendRecipient(nil, wire.MsgChannelEOF, ch.localID))
	var w recorder
	n, err := io.Copy(&w, ch)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("copied %d of %d: %v", n, len(want), err)
	}
	if len(w.writes) != 1 || !bytes.Equal(w.writes[0], want) {
		t.Fatalf("%d writes, want one of all %d bytes buffered", len(w.writes), len(want))
	}
	p := f.next(t)
	if id, adj, err := parseWindowAdjust(p); p[0] != wire.MsgChannelWindowAdjust || err != nil || id != peerID || adj != uint32(len(want)) {
		t.Fatalf("after the copy, sent %x", p)
	}
}

// TestReadWaitsForWriteTo: while WriteTo writes out the front of the
// buffer without the lock, a Read waits rather than return those bytes
// again, and then gets what follows them.
func TestReadWaitsForWriteTo(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	a, b := bytes.Repeat([]byte{'a'}, 1000), bytes.Repeat([]byte{'b'}, 1000)
	f.send(t, dataMsg(ch.localID, a))
	w := &recorder{block: make(chan struct{}), entered: make(chan struct{}), stopAt: 1}
	done := make(chan error, 1)
	go func() {
		_, err := ch.WriteTo(w)
		done <- err
	}()
	<-w.entered
	f.send(t, dataMsg(ch.localID, b)) // grows nothing; lands behind a
	read := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 4000)
		n, _ := ch.Read(buf)
		read <- buf[:n]
	}()
	// Give the Read time to get to the buffer while WriteTo holds its
	// front: a Read that did not wait would return those bytes. (Were
	// it slower, the test would pass without proving anything, never
	// fail wrongly.)
	time.Sleep(50 * time.Millisecond)
	close(w.block)
	if err := <-done; err != errStop {
		t.Fatalf("WriteTo returned %v, want the writer's error", err)
	}
	if got := <-read; !bytes.Equal(got, b) {
		t.Fatalf("Read got %q..., want the bytes after WriteTo's", got[:min(len(got), 8)])
	}
	if !bytes.Equal(w.writes[0], a) {
		t.Fatalf("WriteTo wrote %d bytes, want the first packet", len(w.writes[0]))
	}
}

// TestCloseDuringWriteTo: closing the channel while WriteTo writes ends
// it with ErrChannelClosed once the write returns.
func TestCloseDuringWriteTo(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	f.send(t, dataMsg(ch.localID, make([]byte, 5000)))
	w := &recorder{block: make(chan struct{}), entered: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := ch.WriteTo(w)
		done <- err
	}()
	<-w.entered
	f.send(t, dataMsg(ch.localID, make([]byte, 5000)))
	ch.Close()
	close(w.block)
	if err := <-done; !errors.Is(err, ErrChannelClosed) {
		t.Fatalf("WriteTo returned %v after Close", err)
	}
}

// TestWriteToAllocatesNothing: like TestNoAllocationPerPacket, for
// WriteTo.
func TestWriteToAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, ch := openOnFake(t, Config{}, 0, 32<<10)
	msg := dataMsg(ch.localID, make([]byte, 16<<10))
	w := stopWriter{}
	allocs := testing.AllocsPerRun(2000, func() {
		if err := c.dispatch(msg); err != nil {
			t.Fatal(err)
		}
		if n, err := ch.WriteTo(w); n != 16<<10 || err != errStop {
			t.Fatal(n, err)
		}
	})
	if allocs > 0.1 {
		t.Fatalf("%.2f allocations per packet", allocs)
	}
	c.shutdown(ErrClosed)
}

// stopWriter takes one write and stops the copy.
type stopWriter struct{}

func (stopWriter) Write(p []byte) (int, error) { return len(p), errStop }
