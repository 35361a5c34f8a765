//go:build unix

package transport

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// signalTarget is a readTarget over a fixed buffer that reports each
// call to idle.
type signalTarget struct {
	buf   []byte
	idled chan struct{}
}

func (s *signalTarget) free() []byte { return s.buf }
func (s *signalTarget) idle()        { s.idled <- struct{}{} }

// TestSocketReaderSeesBytesSentWhileIdle: bytes that arrive after a read
// found nothing, and after the reader said it is idle, wake it. (Trying
// the read and waiting in two raw reads lost them: each raw read resets
// the netpoller's readiness.)
func TestSocketReaderSeesBytesSentWhileIdle(t *testing.T) {
	a, b := tcpPair(t)
	r := newSocketReader(a).(*socketReader)
	tgt := &signalTarget{buf: make([]byte, 64), idled: make(chan struct{}, 1)}
	for i := range 50 {
		got := make(chan []byte, 1)
		go func() {
			n, err := r.readInto(tgt)
			if err != nil {
				t.Error(err)
			}
			got <- bytes.Clone(tgt.buf[:n])
		}()
		<-tgt.idled // the reader found nothing and is about to wait
		want := []byte{byte(i), 'x'}
		if _, err := b.Write(want); err != nil {
			t.Fatal(err)
		}
		if g := <-got; !bytes.Equal(g, want) {
			t.Fatalf("round %d: read %q, want %q", i, g, want)
		}
	}
}

// TestSocketReaderErrors: the raw reader's errors are net.Conn's: io.EOF
// when the peer closes, a timeout past the read deadline, net.ErrClosed
// after Close.
func TestSocketReaderErrors(t *testing.T) {
	tgt := &signalTarget{buf: make([]byte, 64), idled: make(chan struct{}, 10)}

	a, b := tcpPair(t)
	r := newSocketReader(a).(*socketReader)
	b.Write([]byte("last"))
	b.Close()
	if n, err := r.readInto(tgt); n != 4 || err != nil {
		t.Fatalf("read %d, %v; want 4 bytes", n, err)
	}
	if _, err := r.readInto(tgt); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want io.EOF", err)
	}

	a, _ = tcpPair(t)
	r = newSocketReader(a).(*socketReader)
	a.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := r.readInto(tgt)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past the deadline: %v (%T), want a timeout", err, err)
	}
	if op, ok := errors.AsType[*net.OpError](err); !ok || op.Op != "read" {
		t.Fatalf("past the deadline: %v, want a *net.OpError for read", err)
	}

	a, _ = tcpPair(t)
	r = newSocketReader(a).(*socketReader)
	done := make(chan error, 1)
	go func() {
		_, err := r.readInto(tgt)
		done <- err
	}()
	<-tgt.idled
	a.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("after Close: %v, want net.ErrClosed", err)
	}
}

// idleFake is an idleReader over scripted reads: each entry of reads is
// returned by one read; an entry of nil means "nothing to read yet" to
// readInto, which then calls idle and records whether the packet reader
// still held a buffer.
type idleFake struct {
	reads      [][]byte
	heldAtIdle []bool
	p          *packetReader
}

func (f *idleFake) Read(b []byte) (int, error) {
	if len(f.reads) == 0 || f.reads[0] == nil {
		return 0, errors.New("a plain read where the script waits")
	}
	n := copy(b, f.reads[0])
	f.reads = f.reads[1:]
	return n, nil
}

func (f *idleFake) readInto(t readTarget) (int, error) {
	if len(f.reads) > 0 && f.reads[0] == nil {
		f.reads = f.reads[1:]
		t.idle()
		f.heldAtIdle = append(f.heldAtIdle, f.p.buf != nil)
	}
	return f.Read(t.free())
}

// TestPacketReaderLetsBufferGoWhenIdle: waiting between packets with
// nothing buffered, the reader holds no buffer; with part of a packet
// buffered it does not wait there at all. The bytes come out right.
func TestPacketReaderLetsBufferGoWhenIdle(t *testing.T) {
	f := &idleFake{reads: [][]byte{
		nil, []byte("abcd"), // the first packet, after a wait
		nil, []byte("ef"), []byte("ghij"), // a packet in two reads, and part of the next
		[]byte("kl"),
	}}
	p := newPacketReader(f)
	f.p = p
	for _, want := range []string{"abcd", "efgh", "ijkl"} {
		if err := p.fillIdle(); err != nil {
			t.Fatal(err)
		}
		b, err := p.peek(4)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Fatalf("read %q, want %q", b, want)
		}
		p.discard(4)
	}
	if want := []bool{false, false}; !slices.Equal(f.heldAtIdle, want) {
		t.Errorf("held a buffer at the waits: %v, want %v", f.heldAtIdle, want)
	}
}

// TestSocketPathAllocatesNothing: writing packets to a socket and reading
// them back through a Conn's packet reader, with its waits on the peer
// and the pooled buffers, allocates nothing in steady state.
func TestSocketPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a, b := tcpPair(t)
	c, err := newConn(a, &Config{HostKeyCallback: func(ssh.PublicKey) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte{'p'}, 16<<10)
	var pkt []byte
	pkt = noneCipher{}.seal(0, pkt, payload, c.pad)
	sink := make([]byte, len(pkt))
	step := func() {
		if _, err := b.Write(pkt); err != nil {
			t.Fatal(err)
		}
		if err := c.r.fillIdle(); err != nil {
			t.Fatal(err)
		}
		if p, err := c.readRawPacket(); err != nil || len(p) != len(payload) {
			t.Fatalf("read %d bytes, %v", len(p), err)
		}
		if err := c.writePacketLocked(nil, payload); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(b, sink); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if allocs := testing.AllocsPerRun(500, step); allocs > 0 {
		t.Fatalf("%.2f allocations per packet", allocs)
	}
}
