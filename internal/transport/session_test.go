package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// This file holds just enough of RFC 4254 for transport tests to move
// real data through a real server: one session channel running one
// command, with flow control. The connection layer proper lives above the
// transport; these tests only need bytes to flow while keys change.

// countingConn counts the bytes that cross the network.
type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// dialAndAuth connects to s with cfg and authenticates with s.UserKey.
func dialAndAuth(t *testing.T, s *sshtest.Server, cfg *Config) (*Conn, *countingConn) {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: nc}
	if cfg.HostKeyCallback == nil {
		cfg.HostKeyCallback = func(k ssh.PublicKey) error {
			if !slices.ContainsFunc(s.HostKeys, func(h ssh.PublicKey) bool { return bytes.Equal(h.Marshal(), k.Marshal()) }) {
				return fmt.Errorf("unknown host key")
			}
			return nil
		}
	}
	c, err := Client(context.Background(), cc, cfg)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := auth.RequestService(c); err != nil {
		t.Fatal(err)
	}
	if err := auth.PublicKey(c, s.User, s.UserKey); err != nil {
		t.Fatalf("%v\n%s", err, tail(s.Log(), 30))
	}
	return c, cc
}

const (
	testWindow    = 4 << 20
	testMaxPacket = 32 << 10
)

// rawExec is one session channel running a command.
type rawExec struct {
	c      *Conn
	remote uint32

	mu           sync.Mutex
	cond         sync.Cond
	remoteWindow uint32
	remoteMax    uint32
	closed       bool
}

// startExec opens a session channel and runs cmd on it, reading packets
// itself until the exec request is answered.
func startExec(t *testing.T, c *Conn, cmd string) *rawExec {
	t.Helper()
	open := wire.AppendText([]byte{wire.MsgChannelOpen}, "session")
	open = wire.AppendUint32(open, 0)
	open = wire.AppendUint32(open, testWindow)
	open = wire.AppendUint32(open, testMaxPacket)
	if err := c.WritePacket(open); err != nil {
		t.Fatal(err)
	}
	e := &rawExec{c: c}
	e.cond.L = &e.mu
	p := readSkippingGlobal(t, c)
	if p[0] != wire.MsgChannelOpenConfirm {
		t.Fatalf("channel open: got message %d", p[0])
	}
	r := wire.NewReader("CHANNEL_OPEN_CONFIRMATION", p[1:])
	r.Uint32("recipient")
	e.remote = r.Uint32("sender")
	e.remoteWindow = r.Uint32("window")
	e.remoteMax = r.Uint32("max packet")
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	req := wire.AppendUint32([]byte{wire.MsgChannelRequest}, e.remote)
	req = wire.AppendText(req, "exec")
	req = wire.AppendBool(req, true)
	req = wire.AppendText(req, cmd)
	if err := c.WritePacket(req); err != nil {
		t.Fatal(err)
	}
	for {
		p := readSkippingGlobal(t, c)
		switch p[0] {
		case wire.MsgChannelSuccess:
			return e
		case wire.MsgChannelWindowAdjust:
			e.remoteWindow += wire.NewReader("", p[5:]).Uint32("n")
			continue
		}
		t.Fatalf("exec: got message %d", p[0])
	}
}

func readSkippingGlobal(t *testing.T, c *Conn) []byte {
	t.Helper()
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == wire.MsgGlobalRequest {
			if r, err := wire.ParseGlobalRequest(p); err == nil && r.WantReply {
				c.WritePacket([]byte{wire.MsgRequestFailure})
			}
			continue
		}
		return p
	}
}

// upload sends data in the remote's window and packet size, then EOF.
func (e *rawExec) upload(data []byte) error {
	for len(data) > 0 {
		e.mu.Lock()
		for e.remoteWindow == 0 && !e.closed {
			e.cond.Wait()
		}
		if e.closed {
			e.mu.Unlock()
			return fmt.Errorf("channel closed with %d bytes unsent", len(data))
		}
		n := min(uint32(len(data)), e.remoteWindow, e.remoteMax, testMaxPacket)
		e.remoteWindow -= n
		e.mu.Unlock()
		msg := wire.AppendUint32([]byte{wire.MsgChannelData}, e.remote)
		msg = wire.AppendString(msg, data[:n])
		if err := e.c.WritePacket(msg); err != nil {
			return err
		}
		data = data[n:]
	}
	return e.c.WritePacket(wire.AppendUint32([]byte{wire.MsgChannelEOF}, e.remote))
}

// download reads the channel until the server closes it, hashing stdout
// and granting window as it consumes; it returns the hash, the byte
// count and the exit status.
func (e *rawExec) download() (sum []byte, n int64, status int, err error) {
	h := sha256.New()
	status = -1
	var consumed uint32
	defer func() {
		e.mu.Lock()
		e.closed = true
		e.cond.Broadcast()
		e.mu.Unlock()
	}()
	for {
		p, err := e.c.ReadPacket()
		if err != nil {
			return nil, n, status, err
		}
		r := wire.NewReader("channel message", p[1:])
		switch p[0] {
		case wire.MsgChannelData:
			r.Uint32("recipient")
			d := r.String("data")
			h.Write(d)
			n += int64(len(d))
			consumed += uint32(len(d))
			if consumed >= testWindow/2 {
				adj := wire.AppendUint32([]byte{wire.MsgChannelWindowAdjust}, e.remote)
				if err := e.c.WritePacket(wire.AppendUint32(adj, consumed)); err != nil {
					return nil, n, status, err
				}
				consumed = 0
			}
		case wire.MsgChannelExtendedData:
			r.Uint32("recipient")
			r.Uint32("type")
			return nil, n, status, fmt.Errorf("stderr: %s", r.String("data"))
		case wire.MsgChannelWindowAdjust:
			r.Uint32("recipient")
			add := r.Uint32("bytes")
			e.mu.Lock()
			e.remoteWindow += add
			e.cond.Broadcast()
			e.mu.Unlock()
		case wire.MsgChannelRequest:
			r.Uint32("recipient")
			if r.Text("request") == "exit-status" {
				r.Bool("want reply")
				status = int(r.Uint32("status"))
			}
		case wire.MsgChannelEOF:
		case wire.MsgChannelClose:
			e.c.WritePacket(wire.AppendUint32([]byte{wire.MsgChannelClose}, e.remote))
			return h.Sum(nil), n, status, nil
		case wire.MsgGlobalRequest:
			if g, err := wire.ParseGlobalRequest(p); err == nil && g.WantReply {
				e.c.WritePacket([]byte{wire.MsgRequestFailure})
			}
		default:
			return nil, n, status, fmt.Errorf("unexpected message %d", p[0])
		}
	}
}

// textLike returns n bytes of compressible, log-like text.
func textLike(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "2026-11-24T03:%02d:%02d host%d sshd[%d]: Accepted publickey for user%d from 127.0.0.1 port %d ssh2\n",
			i/60%60, i%60, i%7, 1000+i%500, i%13, 40000+i%20000)
	}
	return b.Bytes()[:n]
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// scaled returns n, or n/div under the race detector, which slows crypto
// about tenfold; the full size runs in the same test command without it.
func scaled(n, div int) int {
	if raceEnabled {
		return n / div
	}
	return n
}

// TestCompressionOnTheWire moves compressible data both ways through a
// real server with compression on and a 1 MB rekey limit, and checks
// that the bytes on the wire are a small fraction of the data, across
// many key exchanges (each of which restarts both zlib streams).
func TestCompressionOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name  string
		comp  string
		start func(t *testing.T) *sshtest.Server
	}{
		{"openssh/zlib@openssh.com", compressionDelayed, func(t *testing.T) *sshtest.Server {
			return sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"Compression yes", "RekeyLimit 1M"}})
		}},
		{"asyncssh/zlib", compressionZlib, func(t *testing.T) *sshtest.Server {
			return sshtest.StartAsyncSSH(t, sshtest.Options{Config: []string{"compression_algs zlib", "rekey_bytes 1048576"}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start(t)
			// The client re-keys every 256 KiB on the wire, the server every
			// megabyte: exchanges start from both sides at any data size.
			c, cc := dialAndAuth(t, s, &Config{Compressions: []string{tc.comp}, RekeyBytes: 256 << 10})
			if got := c.Algorithms(); got.CompressionIn != tc.comp || got.CompressionOut != tc.comp {
				t.Fatalf("negotiated %+v", got)
			}
			data := textLike(scaled(64<<20, 8))
			// Upload: the server hashes what it receives.
			e := startExec(t, c, "sha256sum -b")
			writtenBefore := cc.written.Load()
			errc := make(chan error, 1)
			go func() { errc <- e.upload(data) }()
			out, _, status, err := e.downloadText()
			if err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if status != 0 {
				t.Fatalf("exit status %d", status)
			}
			if want := fmt.Sprintf("%x *-\n", sha(data)); out != want {
				t.Fatalf("server hashed %q, want %q", out, want)
			}
			up := cc.written.Load() - writtenBefore
			t.Logf("upload: %d bytes of data, %d on the wire (%.1f%%)", len(data), up, 100*float64(up)/float64(len(data)))
			if up > int64(len(data))/5 {
				t.Errorf("upload: %d bytes on the wire for %d of data: not compressed", up, len(data))
			}

			// Download: the server sends the same text back from a file.
			readBefore := cc.read.Load()
			kexBefore := c.KexCount()
			e = startExec(t, c, fmt.Sprintf("cat %s", writeFile(t, s, data)))
			sum, n, status, err := e.download()
			if err != nil {
				t.Fatal(err)
			}
			if status != 0 || n != int64(len(data)) || !bytes.Equal(sum, sha(data)) {
				t.Fatalf("download: status %d, %d bytes, hash match %v", status, n, bytes.Equal(sum, sha(data)))
			}
			down := cc.read.Load() - readBefore
			t.Logf("download: %d bytes of data, %d on the wire (%.1f%%); %d key exchanges in all, %d during the download",
				len(data), down, 100*float64(down)/float64(len(data)), c.KexCount(), c.KexCount()-kexBefore)
			if down > int64(len(data))/5 {
				t.Errorf("download: %d bytes on the wire for %d of data: not compressed", down, len(data))
			}
			if c.KexCount() < 3 {
				t.Errorf("only %d key exchanges: the rekey limit did not bite", c.KexCount())
			}
		})
	}
}

// downloadText is download for small outputs: it returns stdout as text.
func (e *rawExec) downloadText() (string, int64, int, error) {
	var out bytes.Buffer
	status := -1
	defer func() {
		e.mu.Lock()
		e.closed = true
		e.cond.Broadcast()
		e.mu.Unlock()
	}()
	for {
		p, err := e.c.ReadPacket()
		if err != nil {
			return "", 0, status, err
		}
		r := wire.NewReader("channel message", p[1:])
		r.Uint32("recipient")
		switch p[0] {
		case wire.MsgChannelData:
			out.Write(r.String("data"))
		case wire.MsgChannelWindowAdjust:
			add := r.Uint32("bytes")
			e.mu.Lock()
			e.remoteWindow += add
			e.cond.Broadcast()
			e.mu.Unlock()
		case wire.MsgChannelRequest:
			if r.Text("request") == "exit-status" {
				r.Bool("want reply")
				status = int(r.Uint32("status"))
			}
		case wire.MsgChannelClose:
			e.c.WritePacket(wire.AppendUint32([]byte{wire.MsgChannelClose}, e.remote))
			return out.String(), int64(out.Len()), status, nil
		}
	}
}

// writeFile puts data in a file the server's user can read.
func writeFile(t *testing.T, s *sshtest.Server, data []byte) string {
	t.Helper()
	path := s.Dir + "/data.txt"
	if err := writeReadable(path, data); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRekeyWhileStreamingBothWays pushes data through `cat` on sshd in
// both directions at once, windows full, while both sides re-key every
// megabyte or so: the server by its RekeyLimit, the client by its own,
// so that they also cross (both send KEXINIT at once). Nothing may be
// lost or reordered.
func TestRekeyWhileStreamingBothWays(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"RekeyLimit 1M"}})
	for _, cipher := range []string{"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes128-ctr"} {
		t.Run(cipher, func(t *testing.T) {
			c, _ := dialAndAuth(t, s, &Config{Ciphers: []string{cipher}, RekeyBytes: 1536 << 10})
			data := make([]byte, scaled(48<<20, 8))
			for i := range data {
				data[i] = byte(i*7 + i>>13)
			}
			e := startExec(t, c, "cat")
			errc := make(chan error, 1)
			go func() { errc <- e.upload(data) }()
			sum, n, status, err := e.download()
			if err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if status != 0 || n != int64(len(data)) || !bytes.Equal(sum, sha(data)) {
				t.Fatalf("echo: status %d, %d of %d bytes, hash match %v", status, n, len(data), bytes.Equal(sum, sha(data)))
			}
			t.Logf("%d MB each way, %d key exchanges", len(data)>>20, c.KexCount())
			if want := 2 * len(data) / (2 << 20); c.KexCount() < want {
				t.Errorf("%d key exchanges, want at least %d", c.KexCount(), want)
			}
		})
	}
}

// TestRekeyByTime re-keys on the clock while a trickle of traffic flows.
func TestRekeyByTime(t *testing.T) {
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{})
	c, _ := dialAndAuth(t, s, &Config{RekeyInterval: 100 * time.Millisecond})
	deadline := time.Now().Add(20 * time.Second)
	for c.KexCount() < 4 && time.Now().Before(deadline) {
		time.Sleep(60 * time.Millisecond)
		if err := pingAfterAuth(c); err != nil {
			t.Fatal(err)
		}
	}
	if c.KexCount() < 4 {
		t.Fatalf("%d key exchanges after 20 s with a 100 ms interval", c.KexCount())
	}
}

// TestExplicitRekey: Rekey starts an exchange, the session id stays, and
// traffic continues under the new keys.
func TestExplicitRekey(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c, _ := dialAndAuth(t, s, &Config{})
	id := slices.Clone(c.SessionID())
	for i := range 3 {
		if err := c.Rekey(); err != nil {
			t.Fatal(err)
		}
		if err := pingAfterAuth(c); err != nil {
			t.Fatal(err)
		}
		if c.KexCount() != i+2 {
			t.Fatalf("after %d Rekey calls, %d key exchanges", i+1, c.KexCount())
		}
	}
	if !bytes.Equal(id, c.SessionID()) {
		t.Fatal("session id changed on rekey")
	}
}
