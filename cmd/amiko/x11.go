package main

// X11 forwarding (-X, -Y, ForwardX11, ForwardX11Trusted,
// ForwardX11Timeout), the way OpenSSH's ssh does it.
//
// The server gets a fake cookie and hands it to its X clients; each X11
// channel it opens must start with an X11 connection setup carrying that
// fake cookie, which amiko replaces with the display's real one before
// connecting the channel to the local display. A process on the server
// that did not get the fake cookie (another user's, say) cannot reach the
// display, and the real cookie never leaves this machine.
//
// -X (ForwardX11Trusted=no, OpenSSH's upstream default) is untrusted
// forwarding, as in OpenSSH: the real cookie is a new one that xauth
// generates for the X SECURITY extension ("xauth generate ... untrusted"),
// so that the X server keeps remote clients from other clients' windows,
// input and selections; it expires ForwardX11Timeout (20 minutes by
// default) plus a minute after the start, and amiko refuses X11
// connections after ForwardX11Timeout. When no untrusted cookie can be
// had (no xauth, an X server without the SECURITY extension, as many
// are), amiko does not fall back to trusted forwarding: it warns as
// OpenSSH does and forwards nothing. -Y (ForwardX11Trusted=yes, Debian's
// default in /etc/ssh/ssh_config) forwards with the display's own cookie
// from `xauth list`, which gives remote clients the full control of the
// display that local ones have; without a cookie it warns and uses a
// random one, leaving it to the X server's other access control.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amiko-ssh/amiko"
)

// x11Settings are a run's X11 options.
type x11Settings struct {
	Forward bool          // ForwardX11: -X and -Y turn it on, -x off
	Trusted bool          // ForwardX11Trusted: -Y
	Timeout time.Duration // ForwardX11Timeout, for untrusted forwarding; 0 means none
}

// x11SettingsOf reads a run's X11 options.
func x11SettingsOf(cfg *config) x11Settings {
	return x11Settings{Forward: cfg.ForwardX11, Trusted: cfg.ForwardX11Trusted, Timeout: cfg.ForwardX11Timeout}
}

// Where X lives on this machine. Variables for the tests, which must not
// touch the real ones.
var (
	// xauthLocation is OpenSSH's XAuthLocation on Debian.
	xauthLocation = "/usr/bin/xauth"
	// x11SocketDir holds the local displays' sockets, X0, X1, ...
	x11SocketDir = "/tmp/.X11-unix"
)

// x11Proto is the only authorization protocol amiko forwards: its data
// is a plain cookie, which can be checked and replaced.
const x11Proto = "MIT-MAGIC-COOKIE-1"

// x11TimeoutSlack is how much longer than ForwardX11Timeout an untrusted
// cookie lives in the X server, so that it never expires while amiko
// still forwards connections that use it (OpenSSH's X11_TIMEOUT_SLACK).
const x11TimeoutSlack = 60 * time.Second

// x11Display is a parsed DISPLAY.
type x11Display struct {
	name   string // as given
	host   string // "" for a local socket
	socket string // a socket path given as the display (macOS's launchd)
	number int
	screen int
}

var errBadDisplay = errors.New("invalid DISPLAY")

// parseDisplay reads DISPLAY as OpenSSH does: ":N[.S]" and "unix:N[.S]"
// are the local socket of display N, "/path:N[.S]" a socket at that
// path, and "host:N[.S]" TCP port 6000+N on host. Only the characters
// OpenSSH allows are taken, since the name goes to xauth's command line.
func parseDisplay(s string) (x11Display, error) {
	d := x11Display{name: s}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(":/.-_", c) >= 0) {
			return d, fmt.Errorf("%w: %q", errBadDisplay, s)
		}
	}
	var num string
	switch {
	case strings.HasPrefix(s, "/"):
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return d, fmt.Errorf("%w: %q", errBadDisplay, s)
		}
		d.socket, num = s, s[i+1:]
	case strings.HasPrefix(s, ":"), strings.HasPrefix(s, "unix:"):
		num = s[strings.IndexByte(s, ':')+1:]
	default:
		i := strings.IndexByte(s, ':')
		if i <= 0 || strings.HasPrefix(s, "-") {
			return d, fmt.Errorf("%w: %q", errBadDisplay, s)
		}
		d.host, num = s[:i], s[i+1:]
	}
	num, screen, hasScreen := strings.Cut(num, ".")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 65535-6000 || strings.HasPrefix(num, "+") {
		return d, fmt.Errorf("%w: %q", errBadDisplay, s)
	}
	d.number = n
	if hasScreen {
		// OpenSSH takes 0 to 400, and 0 for anything else.
		if sn, err := strconv.Atoi(screen); err == nil && sn >= 0 && sn <= 400 {
			d.screen = sn
		}
	}
	return d, nil
}

// xauthName is the display's name for xauth. For "localhost:N", xauth
// has the local socket's entry, "unix:N", as OpenSSH knows.
func (d x11Display) xauthName() string {
	if rest, ok := strings.CutPrefix(d.name, "localhost:"); ok {
		return "unix:" + rest
	}
	return d.name
}

// dial connects to the display: a local display through its socket
// (on Linux the abstract one first, as Xlib and OpenSSH do), a remote
// one through TCP.
func (d x11Display) dial(ctx context.Context) (net.Conn, error) {
	var dialer net.Dialer
	switch {
	case d.socket != "":
		return dialer.DialContext(ctx, "unix", d.socket)
	case d.host != "":
		return dialer.DialContext(ctx, "tcp", net.JoinHostPort(d.host, strconv.Itoa(6000+d.number)))
	}
	path := filepath.Join(x11SocketDir, "X"+strconv.Itoa(d.number))
	if runtime.GOOS == "linux" {
		if c, err := dialer.DialContext(ctx, "unix", "@"+path); err == nil {
			return c, nil
		}
	}
	return dialer.DialContext(ctx, "unix", path)
}

// xauthEnv is the environment for xauth, with the run's XAUTHORITY and
// HOME (where its default file is).
func (r *runner) xauthEnv() []string {
	env := os.Environ()
	for _, k := range []string{"XAUTHORITY", "HOME"} {
		if v := r.getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// xauthList returns the first MIT-MAGIC-COOKIE-1 that `xauth list`
// shows for display, from file if it is not empty.
func (r *runner) xauthList(ctx context.Context, file, display string) ([]byte, error) {
	var args []string
	if file != "" {
		args = []string{"-f", file}
	}
	cmd := exec.CommandContext(ctx, xauthLocation, append(args, "list", display)...)
	cmd.Env = r.xauthEnv()
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	return parseXauthList(out)
}

var errNoXauthData = errors.New("no xauth data")

// parseXauthList picks the first MIT-MAGIC-COOKIE-1 from `xauth list`'s
// lines, "display protocol hex-data". OpenSSH takes the first line
// whatever its protocol; a cookie of another protocol could not be
// substituted, so amiko passes over those.
func parseXauthList(out []byte) ([]byte, error) {
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != x11Proto {
			continue
		}
		cookie, err := hex.DecodeString(f[2])
		if err != nil || len(cookie) == 0 || len(cookie) > 256 {
			continue
		}
		return cookie, nil
	}
	return nil, errNoXauthData
}

// untrustedCookie has xauth generate an untrusted cookie for display in
// a temporary file (the X server makes it, through the SECURITY
// extension) and returns it, as OpenSSH's ssh -X does.
func (r *runner) untrustedCookie(ctx context.Context, display string, timeout time.Duration) ([]byte, error) {
	dir, err := os.MkdirTemp("", "amiko-xauth-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "xauthfile")
	args := []string{"-f", file, "generate", display, x11Proto, "untrusted"}
	if timeout > 0 {
		args = append(args, "timeout", strconv.FormatInt(int64((timeout+x11TimeoutSlack)/time.Second), 10))
	}
	cmd := exec.CommandContext(ctx, xauthLocation, args...)
	cmd.Env = r.xauthEnv()
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	return r.xauthList(ctx, file, display)
}

// x11Forwarder serves the X11 channels of a run's session.
type x11Forwarder struct {
	ctx     context.Context // ended by stop, so that no dial holds it up
	cancel  context.CancelFunc
	display x11Display
	fake    []byte // the cookie the server hands out
	real    []byte // the display's, put in its place
	info    func(string, ...any)
	log     *slog.Logger
	mu      sync.Mutex
	conns   map[net.Conn]bool
	stopped bool
	wg      sync.WaitGroup
}

// forwardX11 asks the server to forward X11 for s, as ssh -X and -Y do,
// and returns the forwarder, whose stop ends its connections; nil when
// nothing is forwarded. info prints OpenSSH's warnings.
func (r *runner) forwardX11(ctx context.Context, s *amiko.Session, x x11Settings, info func(string, ...any), log *slog.Logger) *x11Forwarder {
	name := r.getenv("DISPLAY")
	if name == "" {
		log.Debug("amiko: X11 forwarding requested but DISPLAY not set")
		return nil
	}
	display, err := parseDisplay(name)
	if err != nil {
		info("DISPLAY %q invalid; disabling X11 forwarding", printable(name))
		return nil
	}
	f := &x11Forwarder{display: display, info: info, log: log, conns: map[net.Conn]bool{}}
	if x.Trusted {
		f.real, err = r.xauthList(ctx, "", display.xauthName())
		if err != nil {
			log.Debug("amiko: xauth list", "display", display.xauthName(), "err", err)
			info("Warning: No xauth data; using fake authentication data for X11 forwarding.")
			f.real = randomBytes(16)
		}
	} else {
		f.real, err = r.untrustedCookie(ctx, display.xauthName(), x.Timeout)
		if err != nil {
			log.Debug("amiko: xauth generate", "display", display.xauthName(), "err", err)
			info("Warning: untrusted X11 forwarding setup failed: xauth key data not generated")
			return nil
		}
	}
	var untrustedTimeout time.Duration
	if !x.Trusted {
		untrustedTimeout = x.Timeout
	}
	f.fake = randomBytes(len(f.real))
	f.ctx, f.cancel = context.WithCancel(ctx)
	log.Debug("amiko: requesting X11 forwarding with authentication spoofing", "display", name, "trusted", x.Trusted)
	_, err = s.RequestX11Forwarding(ctx, amiko.X11Options{
		AuthProtocol: x11Proto,
		Cookie:       f.fake,
		Screen:       display.screen,
		Handler:      f.serve,
		// After it the untrusted cookie may expire, and an X server may
		// then let its clients in with no authorization: the library
		// refuses the channels (OpenSSH refuses them too).
		Timeout: untrustedTimeout,
	})
	if err != nil {
		f.cancel()
		info("X11 forwarding request failed: %s", printable(err.Error()))
		return nil
	}
	return f
}

// x11DialTimeout bounds connecting to the display, so that a remote
// display that drops packets cannot hold a channel (and stop) for the
// system's TCP timeout.
const x11DialTimeout = 30 * time.Second

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// serve carries one X11 channel to the display, once its setup carried
// the fake cookie.
func (f *x11Forwarder) serve(ch net.Conn) {
	if !f.track(ch) {
		ch.Close()
		return
	}
	defer f.untrack(ch)
	defer ch.Close()
	setup, err := readX11Setup(ch, x11Proto, f.fake, f.real)
	if err != nil {
		f.log.Debug("amiko: X11 connection setup", "from", ch.RemoteAddr().String(), "err", err)
		f.info("X11 connection rejected because of wrong authentication.")
		return
	}
	dctx, cancel := context.WithTimeout(f.ctx, x11DialTimeout)
	local, err := f.display.dial(dctx)
	cancel()
	if err != nil {
		f.info("X11 connection to display %s failed: %s", printable(f.display.name), printable(err.Error()))
		return
	}
	if !f.track(local) {
		local.Close()
		return
	}
	defer f.untrack(local)
	if _, err := local.Write(setup); err != nil {
		local.Close()
		return
	}
	f.log.Debug("amiko: X11 connection forwarded", "from", ch.RemoteAddr().String(), "display", f.display.name)
	spliceConns(ch, local)
}

// track records c so that stop closes it; false once stop ran.
func (f *x11Forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	if !f.conns[c] {
		f.conns[c] = true
		f.wg.Add(1)
	}
	return true
}

func (f *x11Forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns[c] {
		delete(f.conns, c)
		f.wg.Done()
	}
}

// stop closes every X11 connection and waits for them to end, as
// OpenSSH's ssh drops its X11 channels when the session ends. A nil
// forwarder has nothing to stop.
func (f *x11Forwarder) stop() {
	if f == nil {
		return
	}
	if f.cancel != nil {
		f.cancel() // a dial in progress
	}
	f.mu.Lock()
	f.stopped = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// errX11Setup is a connection setup amiko does not pass on: malformed,
// or with another protocol or cookie than the server was given.
var errX11Setup = errors.New("X11 connection setup refused")

// readX11Setup reads an X client's connection setup (X Window System
// Protocol, "Connection Setup") from r:
//
//	byte-order  1 byte: 'B' (0x42) most significant byte first, 'l' (0x6c) least
//	unused      1
//	major, minor protocol version, 2 bytes each
//	n           2 bytes: length of the authorization protocol name
//	d           2 bytes: length of the authorization protocol data
//	unused      2
//	name        n bytes, padded to a multiple of 4
//	data        d bytes, padded to a multiple of 4
//
// It accepts only a setup whose name is proto and whose data is fake,
// compared in constant time, and returns the setup with real (as long
// as fake) in fake's place. It never reads past the setup, nor more than
// such a setup's length: what a client sends in its name and data is
// checked against lengths known in advance, not trusted.
func readX11Setup(r io.Reader, proto string, fake, real []byte) ([]byte, error) {
	if len(real) != len(fake) {
		return nil, fmt.Errorf("%w: the real cookie is %d bytes, the fake one %d", errX11Setup, len(real), len(fake))
	}
	head := make([]byte, 12)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("%w: %v", errX11Setup, err)
	}
	var order binary.ByteOrder
	switch head[0] {
	case 'B':
		order = binary.BigEndian
	case 'l':
		order = binary.LittleEndian
	default:
		return nil, fmt.Errorf("%w: byte order %#x", errX11Setup, head[0])
	}
	n, d := int(order.Uint16(head[6:])), int(order.Uint16(head[8:]))
	if n != len(proto) {
		return nil, fmt.Errorf("%w: another authorization protocol", errX11Setup)
	}
	if d != len(fake) {
		return nil, fmt.Errorf("%w: authorization data of %d bytes, not the forwarded cookie's %d", errX11Setup, d, len(fake))
	}
	np, dp := pad4(n), pad4(d)
	setup := make([]byte, 12+np+dp)
	copy(setup, head)
	if _, err := io.ReadFull(r, setup[12:]); err != nil {
		return nil, fmt.Errorf("%w: %v", errX11Setup, err)
	}
	if !bytes.Equal(setup[12:12+n], []byte(proto)) {
		return nil, fmt.Errorf("%w: another authorization protocol", errX11Setup)
	}
	data := setup[12+np : 12+np+d]
	if subtle.ConstantTimeCompare(data, fake) != 1 {
		return nil, fmt.Errorf("%w: the authorization data is not the forwarded cookie", errX11Setup)
	}
	copy(data, real)
	return setup, nil
}

// pad4 rounds n up to a multiple of 4, the X protocol's padding.
func pad4(n int) int { return (n + 3) &^ 3 }
