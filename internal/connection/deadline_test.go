package connection

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// TestDeadlines: a Write that waits for window and a Read that waits for
// data give up at their deadline with os.ErrDeadlineExceeded; a deadline
// in the past fails at once; moving it away lets the calls work again.
func TestDeadlines(t *testing.T) {
	f := newFake()
	c := NewWithConfig(f, Config{})
	defer c.Close()
	ch := openFake(t, f, c, 4, 1024) // a window of 4 bytes

	ch.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := ch.Write([]byte("12345678"))
	if n != 4 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write beyond the window: %d, %v", n, err)
	}
	f.next(t) // the 4 bytes that fitted

	ch.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := ch.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past its deadline: %v", err)
	}
	ch.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := ch.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read that waits: %v", err)
	}

	// Cleared, the calls work again.
	ch.SetDeadline(time.Time{})
	f.send(t, dataMsg(ch.localID, []byte("x")))
	if n, err := ch.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Fatalf("Read after clearing the deadline: %d, %v", n, err)
	}
	f.send(t, wire.AppendUint32(wire.AppendUint32([]byte{wire.MsgChannelWindowAdjust}, ch.localID), 4))
	if n, err := ch.Write([]byte("5678")); n != 4 || err != nil {
		t.Fatalf("Write after clearing the deadline: %d, %v", n, err)
	}
}
