package sftp

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	pkgsftp "github.com/pkg/sftp"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// testPipe is a pipe over a server's standard input and output instead
// of a session; closing it closes both, as closing a session does.
func testPipe(stdin io.WriteCloser, stdout io.Reader) *pipe {
	drained := make(chan struct{})
	close(drained)
	closeSession := func() error {
		if c, ok := stdout.(io.Closer); ok {
			return c.Close()
		}
		return nil
	}
	return &pipe{stdin: stdin, stdout: stdout, closeSession: closeSession, drained: drained}
}

// startClient runs the hello on p, then pkg/sftp's client over it the
// way NewClient does, and returns the client and the limits.
func startClient(t *testing.T, p *pipe) (*pkgsftp.Client, *serverLimits) {
	t.Helper()
	version, limits, err := hello(p)
	if err != nil {
		t.Fatal(err)
	}
	p.replay(version)
	c, err := pkgsftp.NewClientPipe(p, p, defaultOptions(limits)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, limits
}

// roundTrip writes size bytes to a new file under dir and reads them back
// through c, checking that they survived and that the file on disk is
// whole.
func roundTrip(t *testing.T, c *pkgsftp.Client, dir string, size int) {
	t.Helper()
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	name := filepath.Join(dir, "f")
	f, err := c.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if onDisk, err := os.ReadFile(name); err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("the file on disk: %d bytes, %v; want the %d written", len(onDisk), err, len(data))
	}
	f, err = c.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got bytes.Buffer
	if _, err := f.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("read back %d bytes that differ from the %d written", got.Len(), len(data))
	}
}

// TestHelloWithOpenSSH runs the hello against OpenSSH's sftp-server,
// which tells its limits, and then pkg/sftp's client with the request
// size they allow.
func TestHelloWithOpenSSH(t *testing.T) {
	const server = "/usr/lib/openssh/sftp-server"
	if _, err := os.Stat(server); err != nil {
		t.Skipf("no %s: %v", server, err)
	}
	cmd := exec.Command(server)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })

	c, limits := startClient(t, testPipe(stdin, stdout))
	// sftp-server.c: SFTP_MAX_MSG_LENGTH (256 KiB) and 1 KiB less for
	// reads and writes.
	if limits == nil || limits.packet != 256<<10 || limits.read != 255<<10 || limits.write != 255<<10 {
		t.Fatalf("limits %+v, want packet 262144, read and write 261120", limits)
	}
	if got := limits.requestSize(); got != 255<<10 {
		t.Errorf("request size %d, want %d", got, 255<<10)
	}
	// Several requests' worth, so that 255 KiB reads and writes are used.
	roundTrip(t, c, t.TempDir(), 3<<20)
}

// TestHelloWithoutLimits runs the hello against pkg/sftp's server, which
// has no limits@openssh.com: no limits, the 32 KiB default, and pkg/sftp
// still gets the server's VERSION.
func TestHelloWithoutLimits(t *testing.T) {
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	srv, err := pkgsftp.NewServer(struct {
		io.Reader
		io.WriteCloser
	}{toServer, fromServer})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		fromClient.Close()
		if err := <-done; err != nil && !errors.Is(err, io.EOF) {
			t.Errorf("server: %v", err)
		}
	})

	c, limits := startClient(t, testPipe(fromClient, toClient))
	if limits != nil {
		t.Fatalf("limits %+v from a server without the extension", limits)
	}
	if got := limits.requestSize(); got != defaultRequestSize {
		t.Errorf("request size %d, want %d", got, defaultRequestSize)
	}
	if _, ok := c.HasExtension("posix-rename@openssh.com"); !ok {
		t.Error("pkg/sftp did not see the extensions of the replayed VERSION")
	}
	roundTrip(t, c, t.TempDir(), 1<<20)
}

func TestRequestSize(t *testing.T) {
	for _, c := range []struct {
		limits *serverLimits
		want   int
	}{
		{nil, 32 << 10},
		{&serverLimits{}, 255 << 10}, // no limits at all
		{&serverLimits{packet: 256 << 10, read: 255 << 10, write: 255 << 10}, 255 << 10},
		{&serverLimits{packet: 1 << 20, read: 1 << 20, write: 1 << 20}, 255 << 10},
		{&serverLimits{read: 64 << 10}, 64 << 10},
		{&serverLimits{write: 40000, read: 100000}, 40000},
		{&serverLimits{packet: 34000}, 34000 - 1024},
		{&serverLimits{packet: 100}, 1024},
	} {
		if got := c.limits.requestSize(); got != c.want {
			t.Errorf("%+v: request size %d, want %d", c.limits, got, c.want)
		}
	}
}

type recordingWriter struct{ bytes.Buffer }

func (*recordingWriter) Close() error { return nil }

// TestPkgSFTPInitIsDropped: pkg/sftp's INIT goes nowhere, however it is
// cut into writes, and what follows it is passed on whole.
func TestPkgSFTPInitIsDropped(t *testing.T) {
	init := appendPacket(nil, fxpInit, []byte{0, 0, 0, 3, 0, 0, 0, 1, 'x', 0, 0, 0, 0})
	next := appendPacket(nil, 17, []byte{0, 0, 0, 1, 0, 0, 0, 1, '/'})
	stream := append(append([]byte{}, init...), next...)
	for _, chunk := range []int{1, 2, 5, 9, len(init), len(stream)} {
		w := &recordingWriter{}
		p := testPipe(w, nil)
		p.replay(nil)
		for b := stream; len(b) > 0; {
			n := min(chunk, len(b))
			if m, err := p.Write(b[:n]); m != n || err != nil {
				t.Fatalf("chunks of %d: Write = %d, %v", chunk, m, err)
			}
			b = b[n:]
		}
		if !bytes.Equal(w.Bytes(), next) {
			t.Errorf("chunks of %d: passed on %x, want %x", chunk, w.Bytes(), next)
		}
	}
	p := testPipe(&recordingWriter{}, nil)
	p.replay(nil)
	if _, err := p.Write(next); err == nil {
		t.Error("a first packet other than INIT was taken")
	}
}

func TestHelloErrors(t *testing.T) {
	version := func(exts ...string) []byte {
		b := []byte{0, 0, 0, 3}
		for _, e := range exts {
			b = wire.AppendText(b, e)
		}
		return appendPacket(nil, fxpVersion, b)
	}
	limitsReply := func(typ byte, id uint32, fields int) []byte {
		b := []byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
		b = append(b, make([]byte, 8*fields)...)
		return appendPacket(nil, typ, b)
	}
	for _, c := range []struct {
		name   string
		server []byte
		ok     bool
	}{
		{"no extensions", version(), true},
		{"limits refused", append(version(limitsExtension, "1"), limitsReply(fxpStatus, 0, 1)...), true},
		{"limits of another version", version(limitsExtension, "2"), true},
		{"closed at once", nil, false},
		{"closed before the limits reply", version(limitsExtension, "1"), false},
		{"not VERSION", appendPacket(nil, fxpStatus, []byte{0, 0, 0, 3}), false},
		{"odd extension", version("lonely"), false},
		{"huge packet", []byte{0, 0x10, 0, 0, fxpVersion}, false},
		{"empty packet", []byte{0, 0, 0, 0}, false},
		{"short limits", append(version(limitsExtension, "1"), limitsReply(fxpExtendedReply, 0, 3)...), false},
		{"limits for another id", append(version(limitsExtension, "1"), limitsReply(fxpExtendedReply, 7, 4)...), false},
		{"limits as another message", append(version(limitsExtension, "1"), limitsReply(fxpVersion, 0, 4)...), false},
	} {
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(c.server), io.Discard}
		_, _, err := hello(rw)
		var pe *ProtocolError
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.ok && !errors.As(err, &pe) && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Errorf("%s: %v, want a *ProtocolError or io.ErrUnexpectedEOF", c.name, err)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add(append([]byte{fxpVersion, 0, 0, 0, 3}, wire.AppendText(wire.AppendText(nil, limitsExtension), "1")...))
	f.Add([]byte{fxpVersion, 0, 0, 0, 3, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, p []byte) {
		v, exts, err := parseVersion(p)
		if err == nil && (v != uint32(p[1])<<24|uint32(p[2])<<16|uint32(p[3])<<8|uint32(p[4]) || exts == nil) {
			t.Fatalf("version %d, extensions %v from %x", v, exts, p)
		}
	})
}

func FuzzParseLimitsReply(f *testing.F) {
	f.Add(append([]byte{fxpExtendedReply, 0, 0, 0, 0}, make([]byte, 32)...))
	f.Add([]byte{fxpStatus, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		l, err := parseLimitsReply(p)
		if err == nil && l != nil && len(p) < 37 {
			t.Fatalf("limits %+v from %d bytes", l, len(p))
		}
		_ = l.requestSize()
	})
}

func FuzzReadPacket(f *testing.F) {
	f.Add([]byte{0, 0, 0, 5, fxpVersion, 0, 0, 0, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := readPacket(bytes.NewReader(b))
		if err == nil && (len(p) < 5 || len(p) > 4+maxHelloPacket || !bytes.HasPrefix(b, p)) {
			t.Fatalf("packet %x from %x", p, b)
		}
	})
}
