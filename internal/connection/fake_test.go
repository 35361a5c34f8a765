package connection

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// fakeTransport is a peer under the test's control.
type fakeTransport struct {
	in     chan []byte
	out    chan []byte
	closed chan struct{}
	once   sync.Once
	drop   bool // discard what is written (fuzzing)
}

var errFakeClosed = errors.New("fake transport closed")

func newFake() *fakeTransport {
	return &fakeTransport{in: make(chan []byte), out: make(chan []byte, 1024), closed: make(chan struct{})}
}

func (f *fakeTransport) ReadPacket() ([]byte, error) {
	select {
	case p := <-f.in:
		return p, nil
	case <-f.closed:
		return nil, errFakeClosed
	}
}

func (f *fakeTransport) WritePacket(p []byte) error {
	select {
	case <-f.closed:
		return errFakeClosed
	default:
	}
	if f.drop {
		return nil
	}
	f.out <- append([]byte(nil), p...)
	return nil
}

func (f *fakeTransport) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// send delivers a message from the peer; it fails the test if the read
// loop has ended.
func (f *fakeTransport) send(t *testing.T, p []byte) {
	t.Helper()
	select {
	case f.in <- p:
	case <-f.closed:
		t.Fatalf("connection closed before message %d", p[0])
	}
}

// next returns the next message we sent.
func (f *fakeTransport) next(t *testing.T) []byte {
	t.Helper()
	select {
	case p := <-f.out:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("nothing sent")
		return nil
	}
}

// quiet checks that nothing was sent.
func (f *fakeTransport) quiet(t *testing.T) {
	t.Helper()
	select {
	case p := <-f.out:
		t.Fatalf("unexpected message %d: %x", p[0], p)
	case <-time.After(50 * time.Millisecond):
	}
}

const peerID = 77

// openFake opens a channel to the fake peer, which grants window and
// maxPacket.
func openFake(t *testing.T, f *fakeTransport, c *Conn, window, maxPacket uint32) *Channel {
	t.Helper()
	type res struct {
		ch  *Channel
		err error
	}
	rc := make(chan res, 1)
	go func() {
		ch, err := c.OpenChannel(context.Background(), "session", nil)
		rc <- res{ch, err}
	}()
	p := f.next(t)
	m, err := parseChannelOpen(p)
	if p[0] != wire.MsgChannelOpen || err != nil {
		t.Fatalf("sent %x", p)
	}
	confirm := appendOpenConfirm(nil, m.Sender, peerID, window, maxPacket)
	f.send(t, confirm)
	r := <-rc
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.ch
}

func dataMsg(id uint32, data []byte) []byte {
	return wire.AppendString(wire.AppendUint32([]byte{wire.MsgChannelData}, id), data)
}

// wantProtocolError checks that the connection ended with a
// ProtocolError, after sending DISCONNECT.
func wantProtocolError(t *testing.T, f *fakeTransport, c *Conn) {
	t.Helper()
	var pe *ProtocolError
	if err := c.Wait(); !errors.As(err, &pe) {
		t.Fatalf("connection ended with %v, want a ProtocolError", err)
	}
	t.Log(c.Wait())
	for {
		p := f.next(t)
		if p[0] == wire.MsgDisconnect {
			return
		}
	}
}

func TestDataBeyondWindow(t *testing.T) {
	f := newFake()
	c := NewWithConfig(f, Config{InitialWindow: 64 << 10, MaxPacket: 32 << 10})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	for range 2 {
		f.send(t, dataMsg(ch.localID, make([]byte, 32<<10)))
	}
	f.send(t, dataMsg(ch.localID, make([]byte, 1)))
	wantProtocolError(t, f, c)
	if _, err := ch.Read(make([]byte, 100<<10)); err != nil {
		t.Fatalf("data received before the error: %v", err)
	}
	var pe *ProtocolError
	if _, err := ch.Read(make([]byte, 1)); !errors.As(err, &pe) {
		t.Fatalf("Read after the error: %v", err)
	}
}

func TestDataLargerThanMaxPacket(t *testing.T) {
	f := newFake()
	c := NewWithConfig(f, Config{MaxPacket: 32 << 10})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	f.send(t, dataMsg(ch.localID, make([]byte, 32<<10+1)))
	wantProtocolError(t, f, c)
}

func TestWindowAdjustOverflow(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ch := openFake(t, f, c, 1<<31, 32<<10)
	adj := appendWindowAdjust(nil, ch.localID, 1<<31-1)
	f.send(t, adj) // exactly 2^32-1: allowed
	f.send(t, appendWindowAdjust(nil, ch.localID, 1))
	wantProtocolError(t, f, c)
}

func TestUnknownChannel(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	f.send(t, dataMsg(5, []byte("x")))
	wantProtocolError(t, f, c)
}

// TestReplyAfterClose: a reply for a channel that is gone (paramiko's
// servers answer a request after their callback, by when a quick command
// may have closed the channel) is dropped, as OpenSSH's client drops it;
// one for a channel never opened is still a protocol error.
func TestReplyAfterClose(t *testing.T) {
	f := newFake()
	c := NewWithConfig(f, Config{})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	f.send(t, appendRecipient(nil, wire.MsgChannelClose, ch.localID))
	if p := f.next(t); p[0] != wire.MsgChannelClose {
		t.Fatalf("sent %x, want our CLOSE", p)
	}
	<-ch.Done()
	f.send(t, appendRecipient(nil, wire.MsgChannelSuccess, ch.localID))
	ch2 := openFake(t, f, c, 1<<20, 32<<10) // the connection lives on
	ch2.Close()
	f.send(t, appendRecipient(nil, wire.MsgChannelFailure, ch2.localID+100))
	wantProtocolError(t, f, c)
}

func TestReplyWithoutRequest(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	f.send(t, []byte{wire.MsgRequestSuccess})
	wantProtocolError(t, f, c)
}

// TestWindowGivenBackOnRead: the window is returned as the application
// reads, not as data arrives, so unread data never exceeds the window.
func TestWindowGivenBackOnRead(t *testing.T) {
	f := newFake()
	const window = 256 << 10
	c := NewWithConfig(f, Config{InitialWindow: window, MaxWindow: window, MaxPacket: 32 << 10})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	for range window / (32 << 10) {
		f.send(t, dataMsg(ch.localID, make([]byte, 32<<10)))
	}
	f.quiet(t)
	buf := make([]byte, window/2)
	if _, err := io.ReadFull(ch, buf); err != nil {
		t.Fatal(err)
	}
	p := f.next(t)
	id, n, err := parseWindowAdjust(p)
	if p[0] != wire.MsgChannelWindowAdjust || err != nil || id != peerID || n != window/2 {
		t.Fatalf("after reading half the window, sent %x", p)
	}
}

// TestStreamsWakeTheirOwnReaders: data for stdout wakes stdout's reader,
// not a reader waiting for stderr, and window adjusts wake neither.
func TestStreamsWakeTheirOwnReaders(t *testing.T) {
	f := newFake()
	c := NewWithConfig(f, Config{})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	waits := func(r *ring) int {
		ch.mu.Lock()
		defer ch.mu.Unlock()
		return r.waits
	}
	stderr := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(ch.Stderr(), 5))
		stderr <- b
	}()
	for waits(&ch.stderr) == 0 {
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 1000)
	for range 50 {
		f.send(t, dataMsg(ch.localID, buf))
		if _, err := io.ReadFull(ch, buf); err != nil {
			t.Fatal(err)
		}
		adjust := wire.AppendUint32(wire.AppendUint32([]byte{wire.MsgChannelWindowAdjust}, ch.localID), 1000)
		f.send(t, adjust)
	}
	if n := waits(&ch.stderr); n != 1 {
		t.Fatalf("the stderr reader woke %d times for stdout data and window", n-1)
	}
	ext := wire.AppendUint32(wire.AppendUint32([]byte{wire.MsgChannelExtendedData}, ch.localID), 1)
	f.send(t, wire.AppendString(ext, []byte("oops!")))
	if got := <-stderr; string(got) != "oops!" {
		t.Fatalf("stderr read %q", got)
	}
}

// TestWindowGivenBackByEighths: window comes back once an eighth of it
// was read, not before, so a window-limited peer keeps most of its
// window in use.
func TestWindowGivenBackByEighths(t *testing.T) {
	f := newFake()
	const window = 256 << 10
	c := NewWithConfig(f, Config{InitialWindow: window, MaxWindow: window, MaxPacket: 32 << 10})
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	f.send(t, dataMsg(ch.localID, make([]byte, 32<<10)))
	buf := make([]byte, window/adjustFraction-1)
	if _, err := io.ReadFull(ch, buf); err != nil {
		t.Fatal(err)
	}
	f.quiet(t)
	if _, err := io.ReadFull(ch, buf[:1]); err != nil {
		t.Fatal(err)
	}
	p := f.next(t)
	id, n, err := parseWindowAdjust(p)
	if p[0] != wire.MsgChannelWindowAdjust || err != nil || id != peerID || n != window/adjustFraction {
		t.Fatalf("after reading an eighth of the window, sent %x", p)
	}
}

// TestWriteSplitsAndWaits: Write cuts data to the peer's maximum packet
// and waits for window.
func TestWriteSplitsAndWaits(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ch := openFake(t, f, c, 1000, 300)
	done := make(chan error, 1)
	go func() { _, err := ch.Write(make([]byte, 1500)); done <- err }()
	var sizes []int
	for range 4 {
		_, _, d, err := parseData(f.next(t))
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(d))
	}
	f.quiet(t)
	f.send(t, appendWindowAdjust(nil, ch.localID, 500))
	for range 2 {
		_, _, d, _ := parseData(f.next(t))
		sizes = append(sizes, len(d))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []int{300, 300, 300, 100, 300, 200}; len(sizes) != len(want) || sizes[3] != 100 || sizes[5] != 200 {
		t.Fatalf("message sizes %v, want %v", sizes, want)
	}
}

func TestPeerRequestsRefused(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	// A global keepalive wanting a reply, as sshd's ClientAliveInterval.
	f.send(t, wire.AppendGlobalRequest(nil, "keepalive@openssh.com", true, nil))
	if p := f.next(t); p[0] != wire.MsgRequestFailure {
		t.Fatalf("sent %x", p)
	}
	// hostkeys-00@openssh.com without want-reply: no answer.
	f.send(t, wire.AppendGlobalRequest(nil, "hostkeys-00@openssh.com", false, nil))
	f.quiet(t)
	// The channel form of keepalive.
	f.send(t, appendChannelRequest(nil, ch.localID, "keepalive@openssh.com", true, nil))
	if p := f.next(t); p[0] != wire.MsgChannelFailure {
		t.Fatalf("sent %x", p)
	}
	// A request the handler grants.
	ch.HandleRequests(func(r *Request) bool { return r.Type == "custom" })
	f.send(t, appendChannelRequest(nil, ch.localID, "custom", true, nil))
	if p := f.next(t); p[0] != wire.MsgChannelSuccess {
		t.Fatalf("sent %x", p)
	}
	// An incoming channel open without a handler.
	f.send(t, appendChannelOpen(nil, "forwarded-tcpip", 9, 1<<20, 32<<10, nil))
	p := f.next(t)
	m, err := parseOpenFailure(p)
	if p[0] != wire.MsgChannelOpenFailure || err != nil || m.Recipient != 9 || m.Reason != OpenAdministrativelyProhibited {
		t.Fatalf("sent %x", p)
	}
	// With a handler.
	accepted := make(chan *Channel, 1)
	c.HandleChannelOpen("auth-agent@openssh.com", func(nc *NewChannel) {
		ch, err := nc.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- ch
	})
	f.send(t, appendChannelOpen(nil, "auth-agent@openssh.com", 10, 1<<20, 32<<10, nil))
	p = f.next(t)
	cm, err := parseOpenConfirm(p)
	if p[0] != wire.MsgChannelOpenConfirm || err != nil || cm.Recipient != 10 {
		t.Fatalf("sent %x", p)
	}
	ach := <-accepted
	f.send(t, dataMsg(ach.localID, []byte("agent")))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(ach, buf); err != nil || string(buf) != "agent" {
		t.Fatalf("%q %v", buf, err)
	}
	// The peer closes: we answer CLOSE, and Read sees EOF.
	f.send(t, appendRecipient(nil, wire.MsgChannelClose, ach.localID))
	if p := f.next(t); p[0] != wire.MsgChannelClose {
		t.Fatalf("sent %x", p)
	}
	if _, err := ach.Read(buf); err != io.EOF {
		t.Fatalf("Read after CLOSE: %v", err)
	}
	// Exit status and signal.
	f.send(t, appendChannelRequest(nil, ch.localID, "exit-status", false, wire.AppendUint32(nil, 7)))
	sig := wire.AppendText(nil, "KILL")
	sig = wire.AppendBool(sig, true)
	sig = wire.AppendText(sig, "killed")
	f.send(t, appendChannelRequest(nil, ch.localID, "exit-signal", false, wire.AppendText(sig, "")))
	f.send(t, appendRecipient(nil, wire.MsgChannelClose, ch.localID))
	<-ch.Done()
	if st, ok := ch.ExitStatus(); st != 7 || !ok {
		t.Errorf("exit status %d %v", st, ok)
	}
	if s := ch.ExitSignal(); s == nil || s.Signal != "KILL" || !s.CoreDumped || s.Message != "killed" {
		t.Errorf("exit signal %+v", s)
	}
}

// TestChannelRequestFIFO: replies match requests in order.
func TestChannelRequestFIFO(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ch := openFake(t, f, c, 1<<20, 32<<10)
	results := make(chan bool, 2)
	go func() {
		ok, _ := ch.SendRequest("first", true, nil)
		results <- ok
		ok, _ = ch.SendRequest("second", true, nil)
		results <- ok
	}()
	f.next(t)
	f.send(t, appendRecipient(nil, wire.MsgChannelSuccess, ch.localID))
	f.next(t)
	f.send(t, appendRecipient(nil, wire.MsgChannelFailure, ch.localID))
	if a, b := <-results, <-results; !a || b {
		t.Fatalf("replies %v %v", a, b)
	}
}

// openOnFake returns a Conn over a fake transport that drops what is
// written, with one session channel already open: the peer granted it
// remoteWindow bytes in packets of at most remoteMax.
func openOnFake(t testing.TB, cfg Config, remoteWindow, remoteMax uint32) (*Conn, *Channel) {
	t.Helper()
	f := newFake()
	f.drop = true
	c := newConn(f, cfg)
	ch := c.newChannel("session")
	ch.state = stateOpen
	ch.remoteWindow = remoteWindow
	ch.remoteMax = remoteMax
	close(ch.opened)
	if err := c.register(ch); err != nil {
		t.Fatal(err)
	}
	return c, ch
}

// TestNoAllocationPerPacket: receiving data and reading it allocates
// nothing once the buffer has grown; only the occasional window adjust
// does.
func TestNoAllocationPerPacket(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, ch := openOnFake(t, Config{}, 0, 32<<10)
	msg := dataMsg(ch.localID, make([]byte, 16<<10))
	buf := make([]byte, 16<<10)
	allocs := testing.AllocsPerRun(2000, func() {
		if err := c.dispatch(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(ch, buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.1 {
		t.Fatalf("%.2f allocations per packet", allocs)
	}
	c.shutdown(ErrClosed)
}

// TestGlobalRequestContext: a request given up on keeps its place, so the
// next request gets its own reply.
func TestGlobalRequestContext(t *testing.T) {
	f := newFake()
	c := New(f)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := c.SendGlobalRequestContext(ctx, "first", true, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	f.next(t)
	type res struct {
		ok   bool
		data []byte
		err  error
	}
	rc := make(chan res, 1)
	go func() {
		ok, data, err := c.SendGlobalRequest("second", true, nil)
		rc <- res{ok, data, err}
	}()
	f.next(t)
	f.send(t, []byte{wire.MsgRequestFailure})             // the first's
	f.send(t, []byte{wire.MsgRequestSuccess, 0, 0, 0, 9}) // the second's
	if r := <-rc; !r.ok || len(r.data) != 4 || r.err != nil {
		t.Fatalf("second got %+v", r)
	}
}

// seqTransport is a fake that names sequence numbers, as the real
// transport does.
type seqTransport struct {
	*fakeTransport
	seq uint32
}

func (s *seqTransport) ReadPacket() ([]byte, error) {
	p, err := s.fakeTransport.ReadPacket()
	s.seq++
	return p, err
}

func (s *seqTransport) LastSeq() uint32 { return s.seq - 1 }

// TestUnknownMessageUnimplemented: a message the connection layer does
// not know is answered with UNIMPLEMENTED naming its sequence number
// (RFC 4253 section 11.4), and the connection goes on.
func TestUnknownMessageUnimplemented(t *testing.T) {
	f := newFake()
	st := &seqTransport{fakeTransport: f, seq: 7}
	c := NewWithConfig(st, Config{})
	defer c.Close()
	f.send(t, []byte{wire.MsgUserauthSuccess})
	f.send(t, []byte{200, 1, 2, 3})
	for _, want := range []uint32{7, 8} {
		p := f.next(t)
		d := wire.NewReader("", p[1:])
		if seq := d.Uint32("seq"); p[0] != wire.MsgUnimplemented || seq != want || d.End() != nil {
			t.Fatalf("sent %x, want UNIMPLEMENTED for %d", p, want)
		}
	}
	// Still alive: a channel opens.
	go c.OpenChannel(context.Background(), "session", nil)
	if p := f.next(t); p[0] != wire.MsgChannelOpen {
		t.Fatalf("sent %x", p)
	}
}
