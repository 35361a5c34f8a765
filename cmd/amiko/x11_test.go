package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// fakeX is an X server for the tests, on 127.0.0.1 port 6000+N for
// DISPLAY 127.0.0.1:N (N from 1000 up, where neither sshd's displays
// from 10 nor a real X server's are), with a temporary XAUTHORITY file
// holding its cookie. It reads each client's connection setup, records
// the cookie, and answers "welcome" for a cookie it knows and "wrong
// cookie" for another.
type fakeX struct {
	display    string
	xauthority string
	cookie     []byte

	mu    sync.Mutex
	known [][]byte // accepted besides cookie
	seen  [][]byte
}

func startFakeX(t *testing.T) *fakeX {
	t.Helper()
	sshtest.Require(t, "xauth")
	x := &fakeX{xauthority: filepath.Join(t.TempDir(), "Xauthority"), cookie: randomBytes(16)}
	var l net.Listener
	for range 100 {
		n, _ := rand.Int(rand.Reader, big.NewInt(2000))
		number := 1000 + int(n.Int64())
		var err error
		if l, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 6000+number)); err == nil {
			x.display = fmt.Sprintf("127.0.0.1:%d", number)
			break
		}
	}
	if l == nil {
		t.Fatal("no free port for a fake X server")
	}
	if err := os.WriteFile(x.xauthority, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	x.xauth(t, "add", x.display, x11Proto, hex.EncodeToString(x.cookie))

	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				x.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return x
}

// xauth runs xauth on the fake server's file.
func (x *fakeX) xauth(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(xauthLocation, append([]string{"-f", x.xauthority}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("xauth %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (x *fakeX) serve(c net.Conn) {
	head := make([]byte, 12)
	if _, err := io.ReadFull(c, head); err != nil {
		return
	}
	var order binary.ByteOrder = binary.LittleEndian
	if head[0] == 'B' {
		order = binary.BigEndian
	}
	n, d := int(order.Uint16(head[6:])), int(order.Uint16(head[8:]))
	rest := make([]byte, pad4(n)+pad4(d))
	if _, err := io.ReadFull(c, rest); err != nil {
		return
	}
	cookie := rest[pad4(n):][:d]
	x.mu.Lock()
	x.seen = append(x.seen, cookie)
	ok := string(rest[:n]) == x11Proto && bytes.Equal(cookie, x.cookie)
	for _, k := range x.known {
		ok = ok || bytes.Equal(cookie, k)
	}
	x.mu.Unlock()
	if ok {
		io.WriteString(c, "welcome")
	} else {
		io.WriteString(c, "wrong cookie")
	}
}

// cookies returns the cookies the X clients presented.
func (x *fakeX) cookies() [][]byte {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([][]byte(nil), x.seen...)
}

// use points the test environment's DISPLAY and XAUTHORITY at x.
func (x *fakeX) use(e *testEnv) {
	e.env["DISPLAY"] = x.display
	e.env["XAUTHORITY"] = x.xauthority
}

// x11ClientOutput reads the X client's "cookie:" and "answer:" lines.
func x11ClientOutput(t *testing.T, stdout string) (cookie []byte, answer string) {
	t.Helper()
	for _, l := range strings.Split(stdout, "\n") {
		if h, ok := strings.CutPrefix(l, "cookie: "); ok {
			cookie, _ = hex.DecodeString(h)
		}
		if a, ok := strings.CutPrefix(l, "answer: "); ok {
			answer = a
		}
	}
	return cookie, answer
}

// requireX11Flags skips a test of amiko ssh's X11 flags and options
// until args.go and options.go take them (see x11SettingsOf).
func requireX11Flags(t *testing.T) {
	t.Helper()
	if _, err := parseSSHArgs([]string{"-Y", "-o", "ForwardX11Timeout=1m", "host"}); err != nil {
		t.Skipf("amiko ssh does not take -Y and ForwardX11Timeout yet: %v", err)
	}
}

// TestSSHForwardX11Trusted: with -Y, an X client on the server reaches
// the local display with the fake cookie sshd handed it, which amiko
// replaced by the display's real cookie; the server never saw the real
// one. A client with another cookie is turned away before the display.
func TestSSHForwardX11Trusted(t *testing.T) {
	requireX11Flags(t)
	e := newTestEnv(t)
	s := e.server(sshtest.Options{X11: true})
	e.trust(s)
	x := startFakeX(t)
	x.use(e)
	client := s.X11Client(t)
	checkNoLeak(t)

	for _, flags := range [][]string{{"-Y"}, {"-o", "ForwardX11=yes", "-o", "ForwardX11Trusted=yes"}} {
		for _, order := range []string{"", "-B"} {
			before := len(x.cookies())
			r := e.run("", e.args(s, append(flags, "127.0.0.1", client, order)...)...)
			fake, answer := x11ClientOutput(t, r.stdout)
			if r.code != 0 || answer != "welcome" {
				t.Fatalf("%s %s: exit %d, the X client got %q", flags, order, r.code, answer)
			}
			if len(fake) != len(x.cookie) || bytes.Equal(fake, x.cookie) {
				t.Errorf("%s: the server handed out %x, the real cookie is %x", flags, fake, x.cookie)
			}
			if got := x.cookies(); len(got) != before+1 || !bytes.Equal(got[before], x.cookie) {
				t.Errorf("%s: the X server saw %x", flags, got[before:])
			}
		}
	}

	// An X client that guesses (or knows the real cookie) is refused.
	for _, cookie := range [][]byte{randomBytes(16), x.cookie, randomBytes(8)} {
		before := len(x.cookies())
		r := e.run("", e.args(s, "-Y", "127.0.0.1", client, hex.EncodeToString(cookie))...)
		if _, answer := x11ClientOutput(t, r.stdout); answer != "" {
			t.Errorf("cookie %x: the X client got %q", cookie, answer)
		}
		if !strings.Contains(r.stderr, "X11 connection rejected because of wrong authentication.") {
			t.Errorf("cookie %x: stderr %q", cookie, r.stderr)
		}
		if got := x.cookies(); len(got) != before {
			t.Errorf("cookie %x reached the X server", cookie)
		}
	}

	// Without -X or -Y the server sets no DISPLAY; -x after -Y undoes it.
	for _, flags := range [][]string{nil, {"-Y", "-x"}} {
		r := e.run("", e.args(s, append(flags, "127.0.0.1", client)...)...)
		if r.stdout != "no DISPLAY\n" {
			t.Errorf("%s: %q", flags, r.stdout)
		}
	}
}

// TestSSHForwardX11NoXauthData: -Y with no cookie for the display warns
// as OpenSSH does and forwards with a random one, which the X server
// judges (a real one by its other access control).
func TestSSHForwardX11NoXauthData(t *testing.T) {
	requireX11Flags(t)
	e := newTestEnv(t)
	s := e.server(sshtest.Options{X11: true})
	e.trust(s)
	x := startFakeX(t)
	x.use(e)
	x.xauth(t, "remove", x.display)
	client := s.X11Client(t)
	checkNoLeak(t)
	r := e.run("", e.args(s, "-Y", "127.0.0.1", client)...)
	fake, answer := x11ClientOutput(t, r.stdout)
	if !strings.Contains(r.stderr, "Warning: No xauth data; using fake authentication data for X11 forwarding.") {
		t.Errorf("stderr %q", r.stderr)
	}
	got := x.cookies()
	if answer != "wrong cookie" || len(got) != 1 || len(got[0]) != 16 || bytes.Equal(got[0], fake) {
		t.Errorf("the X client got %q; the X server saw %x, the server's cookie was %x", answer, got, fake)
	}
}

// fakeXauth installs a stand-in for xauth whose "generate" adds cookie
// to the file given with -f, as the X server's SECURITY extension would
// have made it, and logs its arguments; everything else goes to xauth.
func fakeXauth(t *testing.T, cookie []byte) (log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "generate.log")
	script := fmt.Sprintf(`#!/bin/sh
for a; do [ "$a" = generate ] && gen=1; done
if [ -n "$gen" ]; then
	echo "$@" >%[1]s
	exec %[2]s -f "$2" add "$4" MIT-MAGIC-COOKIE-1 %[3]s
fi
exec %[2]s "$@"
`, log, xauthLocation, hex.EncodeToString(cookie))
	path := filepath.Join(dir, "xauth")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := xauthLocation
	xauthLocation = path
	t.Cleanup(func() { xauthLocation = old })
	return log
}

// TestSSHForwardX11Untrusted: -X asks xauth for an untrusted cookie
// that outlives ForwardX11Timeout by a minute, and forwards with it, not
// with the display's own cookie. Where none can be generated (this fake
// X server has no SECURITY extension, so the real xauth fails), -X
// forwards nothing.
func TestSSHForwardX11Untrusted(t *testing.T) {
	requireX11Flags(t)
	e := newTestEnv(t)
	s := e.server(sshtest.Options{X11: true})
	e.trust(s)
	x := startFakeX(t)
	x.use(e)
	client := s.X11Client(t)
	checkNoLeak(t)

	r := e.run("", e.args(s, "-X", "127.0.0.1", client)...)
	if r.stdout != "no DISPLAY\n" || !strings.Contains(r.stderr, "Warning: untrusted X11 forwarding setup failed: xauth key data not generated") {
		t.Errorf("-X without an untrusted cookie: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	// (The X server saw xauth itself, asking with the real cookie.)

	untrusted := randomBytes(16)
	x.mu.Lock()
	x.known = append(x.known, untrusted)
	x.mu.Unlock()
	log := fakeXauth(t, untrusted)
	for _, c := range []struct {
		flags   []string
		timeout string
	}{
		{[]string{"-X"}, "1260"},
		{[]string{"-X", "-o", "ForwardX11Timeout=5m"}, "360"},
	} {
		before := len(x.cookies())
		r := e.run("", e.args(s, append(c.flags, "127.0.0.1", client)...)...)
		if _, answer := x11ClientOutput(t, r.stdout); answer != "welcome" {
			t.Fatalf("%s: the X client got %q", c.flags, answer)
		}
		if got := x.cookies(); len(got) != before+1 || !bytes.Equal(got[before], untrusted) {
			t.Errorf("%s: the X server saw %x, want the untrusted cookie %x", c.flags, got[before:], untrusted)
		}
		b, _ := os.ReadFile(log)
		args := strings.Fields(string(b))
		if len(args) != 8 || args[2] != "generate" || args[3] != x.display || strings.Join(args[4:7], " ") != "MIT-MAGIC-COOKIE-1 untrusted timeout" || args[7] != c.timeout {
			t.Errorf("%s: xauth %s", c.flags, b)
		}
		if _, err := os.Stat(args[1]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the untrusted cookie's file %s is left behind: %v", args[1], err)
		}
	}

	// An X client after ForwardX11Timeout is refused, never reaching the
	// display (OpenSSH: "Rejected X11 connection after ForwardX11Timeout
	// expired").
	before := len(x.cookies())
	r = e.run("", e.args(s, "-X", "-o", "ForwardX11Timeout=1", "127.0.0.1", "sleep 2;", client)...)
	if _, answer := x11ClientOutput(t, r.stdout); answer != "" || len(x.cookies()) != before {
		t.Errorf("after ForwardX11Timeout: the X client got %q", answer)
	}
	if !strings.Contains(r.stderr, "ejected X11 connection after the forwarding timeout expired") {
		t.Errorf("after ForwardX11Timeout: stderr %q", r.stderr)
	}
}

// TestForwardX11Session drives the forwarder below the command line,
// with a library session against sshd: the X server gets the real
// cookie, the server only the fake one, and a wrong cookie goes nowhere.
func TestForwardX11Session(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{X11: true})
	x := startFakeX(t)
	x.use(e)
	client := s.X11Client(t)
	checkNoLeak(t)
	c := amiko.NewClient()
	c.SetMissingHostKeyPolicy(amiko.AutoAddPolicy{})
	_, port, _ := net.SplitHostPort(s.Addr)
	var p int
	fmt.Sscan(port, &p)
	if err := c.Connect(t.Context(), "127.0.0.1", &amiko.ConnectOptions{Port: p, Username: s.User, PKey: e.key, DisableAgent: true, DisableKeyDiscovery: true}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var stderr syncBuffer
	r := &runner{stderr: &stderr, getenv: func(k string) string { return e.env[k] }}
	info := func(format string, args ...any) { fmt.Fprintf(&stderr, format+"\n", args...) }

	run := func(args string) (fake []byte, answer string) {
		t.Helper()
		sess, err := c.NewSession(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		f := r.forwardX11(t.Context(), sess, x11Settings{Forward: true, Trusted: true}, info, slog.New(slog.DiscardHandler))
		if f == nil {
			t.Fatalf("no forwarding: %s", stderr.String())
		}
		defer f.stop()
		out, _ := sessionOutput(t.Context(), sess, client+" "+args)
		return x11ClientOutput(t, out)
	}
	fake, answer := run("")
	if answer != "welcome" || bytes.Equal(fake, x.cookie) {
		t.Errorf("the X client sent %x and got %q", fake, answer)
	}
	if got := x.cookies(); len(got) != 1 || !bytes.Equal(got[0], x.cookie) {
		t.Errorf("the X server saw %x", got)
	}
	if _, answer := run(hex.EncodeToString(randomBytes(16))); answer != "" || len(x.cookies()) != 1 {
		t.Errorf("a wrong cookie: the X client got %q", answer)
	}
	if !strings.Contains(stderr.String(), "X11 connection rejected because of wrong authentication.") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// sessionOutput runs command on s and returns its standard output.
func sessionOutput(ctx context.Context, s *amiko.Session, command string) (string, error) {
	if err := s.Exec(ctx, command); err != nil {
		return "", err
	}
	s.Stdin().Close()
	go io.Copy(io.Discard, s.Stderr())
	b, _ := io.ReadAll(s.Stdout())
	return string(b), s.Wait()
}

// TestX11ForwarderStop: stop ends the X11 connections still open, on
// both sides, and waits for them.
func TestX11ForwarderStop(t *testing.T) {
	checkNoLeak(t)
	dir := t.TempDir()
	old := x11SocketDir
	x11SocketDir = dir
	t.Cleanup(func() { x11SocketDir = old })
	l, err := net.Listen("unix", filepath.Join(dir, "X7"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	display, _ := parseDisplay(":7")
	f := &x11Forwarder{ctx: t.Context(), display: display, fake: randomBytes(16), real: randomBytes(16),
		info: func(string, ...any) {}, log: slog.New(slog.DiscardHandler), conns: map[net.Conn]bool{}}
	ch, client := net.Pipe()
	served := make(chan struct{})
	go func() { f.serve(ch); close(served) }()
	go client.Write(x11SetupFor('l', x11Proto, f.fake))
	x, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	got := make([]byte, len(x11SetupFor('l', x11Proto, f.real)))
	if _, err := io.ReadFull(x, got); err != nil || !bytes.Equal(got, x11SetupFor('l', x11Proto, f.real)) {
		t.Fatalf("the display got %x, %v", got, err)
	}
	f.stop()
	<-served
	if _, err := x.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the display's connection: %v", err)
	}
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the channel: %v", err)
	}
}

// x11SetupFor builds a connection setup with the byte order's letter.
func x11SetupFor(order byte, proto string, data []byte) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	if order == 'B' {
		bo = binary.BigEndian
	}
	b := []byte{order, 0}
	b = bo.AppendUint16(b, 11)
	b = bo.AppendUint16(b, 0)
	b = bo.AppendUint16(b, uint16(len(proto)))
	b = bo.AppendUint16(b, uint16(len(data)))
	b = append(b, 0, 0)
	b = append(b, proto...)
	b = append(b, make([]byte, pad4(len(proto))-len(proto))...)
	b = append(b, data...)
	return append(b, make([]byte, pad4(len(data))-len(data))...)
}

func TestReadX11Setup(t *testing.T) {
	fake, real := randomBytes(16), randomBytes(16)
	other := append([]byte(nil), fake...)
	other[15] ^= 1
	for _, c := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"LSB first", x11SetupFor('l', x11Proto, fake), true},
		{"MSB first", x11SetupFor('B', x11Proto, fake), true},
		{"another cookie", x11SetupFor('l', x11Proto, other), false},
		{"the real cookie", x11SetupFor('l', x11Proto, real), false},
		{"a shorter cookie", x11SetupFor('l', x11Proto, fake[:8]), false},
		{"no cookie", x11SetupFor('l', "", nil), false},
		{"another protocol", x11SetupFor('l', "XDM-AUTHORIZATION-1", fake), false},
		{"a protocol of the same length", x11SetupFor('l', "MIT-MAGIC-COOKIE-2", fake), false},
		{"bad byte order", x11SetupFor('x', x11Proto, fake), false},
		{"cut short", x11SetupFor('l', x11Proto, fake)[:40], false},
		{"empty", nil, false},
	} {
		r := bytes.NewReader(append(c.in, "next request"...))
		got, err := readX11Setup(r, x11Proto, fake, real)
		if !c.ok {
			if err == nil || !errors.Is(err, errX11Setup) {
				t.Errorf("%s: accepted (%v)", c.name, err)
			}
			continue
		}
		want := bytes.Replace(c.in, fake, real, 1)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, %v; want %x", c.name, got, err, want)
		}
		if rest, _ := io.ReadAll(r); string(rest) != "next request" {
			t.Errorf("%s: read past the setup: left %q", c.name, rest)
		}
	}
}

// FuzzReadX11Setup: whatever an X client sends, readX11Setup reads no
// more than a setup with the expected protocol and cookie, and passes
// on only such a setup, changed only where the cookie was.
func FuzzReadX11Setup(f *testing.F) {
	fake := bytes.Repeat([]byte{0xfa}, 16)
	real := bytes.Repeat([]byte{0x5e}, 16)
	f.Add(x11SetupFor('l', x11Proto, fake))
	f.Add(x11SetupFor('B', x11Proto, fake))
	f.Add(x11SetupFor('l', x11Proto, real))
	f.Add(x11SetupFor('B', "XDM-AUTHORIZATION-1", fake))
	f.Add([]byte("l\x00\x0b\x00\x00\x00\xff\xff\xff\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		got, err := readX11Setup(r, x11Proto, fake, real)
		read := len(in) - r.Len()
		if read > 12+pad4(len(x11Proto))+pad4(len(fake)) {
			t.Fatalf("read %d bytes", read)
		}
		if err != nil {
			if !errors.Is(err, errX11Setup) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if read != len(got) {
			t.Fatalf("read %d bytes, passed on %d", read, len(got))
		}
		want := x11SetupFor(in[0], x11Proto, real)
		copy(want[1:6], in[1:6])     // unused, the version
		copy(want[10:12], in[10:12]) // unused
		copy(want[12+len(x11Proto):12+pad4(len(x11Proto))], in[12+len(x11Proto):])
		if !bytes.Equal(in[12+pad4(len(x11Proto)):][:16], fake) || !bytes.Equal(got, want) {
			t.Fatalf("passed on %x from %x", got, in[:read])
		}
	})
}

func TestParseDisplay(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   x11Display
		xauth  string
		errors bool
	}{
		{in: ":0", want: x11Display{name: ":0"}, xauth: ":0"},
		{in: ":12.3", want: x11Display{name: ":12.3", number: 12, screen: 3}, xauth: ":12.3"},
		{in: "unix:1", want: x11Display{name: "unix:1", number: 1}, xauth: "unix:1"},
		{in: "localhost:10.0", want: x11Display{name: "localhost:10.0", host: "localhost", number: 10}, xauth: "unix:10.0"},
		{in: "127.0.0.1:1500", want: x11Display{name: "127.0.0.1:1500", host: "127.0.0.1", number: 1500}, xauth: "127.0.0.1:1500"},
		{in: "x.example.com:2.401", want: x11Display{name: "x.example.com:2.401", host: "x.example.com", number: 2}, xauth: "x.example.com:2.401"},
		{in: "/private/tmp/com.apple.launchd.x/org.xquartz:0", want: x11Display{name: "/private/tmp/com.apple.launchd.x/org.xquartz:0", socket: "/private/tmp/com.apple.launchd.x/org.xquartz:0"}, xauth: "/private/tmp/com.apple.launchd.x/org.xquartz:0"},
		{in: "", errors: true},
		{in: "host", errors: true},
		{in: "host:", errors: true},
		{in: ":x", errors: true},
		{in: ":-1", errors: true},
		{in: ":+1", errors: true},
		{in: ":59536", errors: true},
		{in: "-f:0", errors: true},
		{in: "host:0;rm", errors: true},
		{in: "host :0", errors: true},
		{in: "/tmp/socket", errors: true},
		{in: "[::1]:0", errors: true},
	} {
		got, err := parseDisplay(c.in)
		if c.errors {
			if !errors.Is(err, errBadDisplay) {
				t.Errorf("%q: %+v, %v", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want || got.xauthName() != c.xauth {
			t.Errorf("%q: %+v (%q), %v; want %+v (%q)", c.in, got, got.xauthName(), err, c.want, c.xauth)
		}
	}
}

func TestParseXauthList(t *testing.T) {
	out := "host/unix:0  XDM-AUTHORIZATION-1  00112233\n" +
		"host/unix:0  MIT-MAGIC-COOKIE-1  not-hex\n" +
		"host/unix:0  MIT-MAGIC-COOKIE-1  00112233445566778899aabbccddeeff\n" +
		"host/unix:0  MIT-MAGIC-COOKIE-1  ffeeddccbbaa99887766554433221100\n"
	got, err := parseXauthList([]byte(out))
	if err != nil || hex.EncodeToString(got) != "00112233445566778899aabbccddeeff" {
		t.Errorf("got %x, %v", got, err)
	}
	for _, out := range []string{"", "xauth: file does not exist\n", "h/unix:0 MIT-MAGIC-COOKIE-1\n"} {
		if got, err := parseXauthList([]byte(out)); !errors.Is(err, errNoXauthData) {
			t.Errorf("%q: %x, %v", out, got, err)
		}
	}
}

// TestX11DisplayDial: a local display is its socket in the socket
// directory, the abstract one first on Linux.
func TestX11DisplayDial(t *testing.T) {
	dir := t.TempDir()
	old := x11SocketDir
	x11SocketDir = dir
	t.Cleanup(func() { x11SocketDir = old })
	d, _ := parseDisplay("unix:3.0")
	if c, err := d.dial(t.Context()); err == nil {
		c.Close()
		t.Fatal("dialed a display nobody listens on")
	}
	for _, name := range []string{filepath.Join(dir, "X3"), "@" + filepath.Join(dir, "X3")} {
		l, err := net.Listen("unix", name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := d.dial(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		c.Close()
		l.Close()
	}
}
