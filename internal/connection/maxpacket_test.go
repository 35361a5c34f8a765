package connection

import (
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// TestMaxPacketDefault: channels are opened with a maximum packet of
// 128 KiB unless the Config says otherwise (conn.go says why).
func TestMaxPacketDefault(t *testing.T) {
	for _, tc := range []struct{ cfg, want uint32 }{{0, 128 << 10}, {32 << 10, 32 << 10}, {1 << 20, 128 << 10}} {
		c := newConn(newFake(), Config{MaxPacket: tc.cfg})
		if got := c.newChannel("session").maxPacket; got != tc.want {
			t.Errorf("Config.MaxPacket %d: channel's maximum packet %d, want %d", tc.cfg, got, tc.want)
		}
		c.shutdown(ErrClosed)
	}
}

// TestSSHDDrainsItsBufferInLargePackets: OpenSSH's sshd reads a command's
// output into its channel buffer, at most 32 KiB a turn of its loop,
// while the buffer holds less than the window it has left, and sends
// one packet of at most our maximum packet a turn. Here it cannot send
// for a while (our read loop is held, so its socket fills) while it has
// window, so it buffers; once it can send again, it must send packets
// larger than 32 KiB, which is what lets that buffer drain instead of
// staying for the rest of the channel.
func TestSSHDDrainsItsBufferInLargePackets(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	rec := &dataRecorder{release: make(chan struct{})}
	const window = 64 << 20
	c := dialWrapped(t, s, s.Addr, Config{InitialWindow: window, MaxWindow: window}, func(tr Transport) Transport {
		rec.Transport = tr
		return rec
	})
	ch := startExec(t, c, "head -c 67108864 /dev/zero")
	rec.hold.Store(true)
	// Time for sshd to fill its socket and then to buffer: it reads at
	// hundreds of MB/s, so a fraction of this suffices.
	time.Sleep(500 * time.Millisecond)
	close(rec.release)
	n, err := io.Copy(io.Discard, ch)
	if err != nil || n != 64<<20 {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	if largest := rec.largestData(); largest <= 32<<10 {
		t.Errorf("sshd's largest data message was %d bytes; want more than 32 KiB", largest)
	}
}

// dataRecorder is a Transport that notes the largest channel data it
// read and, once hold is set, holds each read until release is closed.
type dataRecorder struct {
	Transport
	hold    atomic.Bool
	release chan struct{}

	mu      sync.Mutex
	largest int
}

func (r *dataRecorder) ReadPacket() ([]byte, error) {
	if r.hold.Load() {
		<-r.release
	}
	p, err := r.Transport.ReadPacket()
	if err == nil && len(p) > 9 && p[0] == wire.MsgChannelData {
		r.mu.Lock()
		r.largest = max(r.largest, len(p)-9)
		r.mu.Unlock()
	}
	return p, err
}

func (r *dataRecorder) largestData() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.largest
}
