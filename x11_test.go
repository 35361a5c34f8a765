package amiko

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// readX11Setup reads an X11 connection setup (least significant byte
// first, as the test's X client sends it) and returns its
// authorization protocol name and data.
func readX11Setup(r io.Reader) (proto string, data []byte, err error) {
	head := make([]byte, 12)
	if _, err := io.ReadFull(r, head); err != nil {
		return "", nil, err
	}
	if head[0] != 'l' {
		return "", nil, fmt.Errorf("byte order %#x", head[0])
	}
	n, d := int(binary.LittleEndian.Uint16(head[6:])), int(binary.LittleEndian.Uint16(head[8:]))
	rest := make([]byte, (n+3)&^3+(d+3)&^3)
	if _, err := io.ReadFull(r, rest); err != nil {
		return "", nil, err
	}
	return string(rest[:n]), rest[(n+3)&^3:][:d], nil
}

// TestX11ForwardingOpenSSH: sshd forwards an X client's connection to
// the handler, which sees the cookie RequestX11Forwarding returned (the
// one sshd put in the session's xauth file) and answers the client.
func TestX11ForwardingOpenSSH(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{X11: true})
	client := s.X11Client(t)
	checkNoLeak(t)
	c := connectTo(t, s, nil)

	type seen struct {
		proto  string
		cookie []byte
		remote net.Addr
		err    error
	}
	got := make(chan seen, 1)
	sess, err := c.NewSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	cookie, err := sess.RequestX11Forwarding(t.Context(), X11Options{Handler: func(conn net.Conn) {
		defer conn.Close()
		proto, data, err := readX11Setup(conn)
		got <- seen{proto, data, conn.RemoteAddr(), err}
		io.WriteString(conn, "hello X client")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cookie) != 16 {
		t.Fatalf("cookie of %d bytes", len(cookie))
	}
	out, err := sessionOutput(t.Context(), sess, client)
	if err != nil {
		t.Fatalf("X client: %v\n%s", err, out)
	}
	g := <-got
	if g.err != nil || g.proto != "MIT-MAGIC-COOKIE-1" || !bytes.Equal(g.cookie, cookie) {
		t.Fatalf("the handler saw %q %x (%v), want the cookie %x", g.proto, g.cookie, g.err, cookie)
	}
	if a, ok := g.remote.(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		t.Errorf("RemoteAddr %v, want the X client's loopback address", g.remote)
	}
	want := "cookie: " + hex.EncodeToString(cookie) + "\nanswer: hello X client\n"
	if out != want {
		t.Fatalf("X client printed %q, want %q", out, want)
	}
	c.Close()
}

// sessionOutput runs command on s and returns its output, both streams.
func sessionOutput(ctx context.Context, s *Session, command string) (string, error) {
	if err := s.Exec(ctx, command); err != nil {
		return "", err
	}
	s.Stdin().Close()
	var b bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); io.Copy(&b, s.Stderr()) }()
	io.Copy(&b, s.Stdout())
	wg.Wait()
	return b.String(), s.Wait()
}

// x11Server is an x/crypto server that opens "x11" channels when a
// session's command asks it to, and says on the session's stdout how
// each open went. Commands, each word one open:
//
//	open      an x11 channel from 127.0.0.1:6010; once accepted, it
//	          sends "ping" and reports "accepted <answer>"
//	malformed an x11 channel whose originator port is missing
//
// A refused open reports "refused <reason>". x11-req requests are
// answered as x11Reply says and their payloads sent to x11Reqs.
type x11Server struct {
	x11Reply bool
	x11Reqs  chan []byte
}

func (x *x11Server) start(t *testing.T) *sshtest.Server {
	x.x11Reqs = make(chan []byte, 10)
	return sshtest.StartXSSH(t, sshtest.XSSHOptions{Handler: func(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		go ssh.DiscardRequests(reqs)
		var wg sync.WaitGroup
		defer wg.Wait()
		for nc := range chans {
			if nc.ChannelType() != "session" {
				nc.Reject(ssh.UnknownChannelType, "")
				continue
			}
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer ch.Close()
				for r := range creqs {
					switch r.Type {
					case "x11-req":
						x.x11Reqs <- r.Payload
						r.Reply(x.x11Reply, nil)
					case "exec":
						r.Reply(true, nil)
						var cmd struct{ Command string }
						ssh.Unmarshal(r.Payload, &cmd)
						for _, w := range strings.Fields(cmd.Command) {
							if w == "wait" { // X11Options.Timeout's, in TestX11Timeout
								time.Sleep(1500 * time.Millisecond)
								continue
							}
							fmt.Fprintln(ch, x.open(conn, w))
						}
						ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
						ch.Close()
					default:
						r.Reply(false, nil)
					}
				}
			}()
		}
	}})
}

func (x *x11Server) open(conn ssh.Conn, what string) string {
	extra := ssh.Marshal(struct {
		Addr string
		Port uint32
	}{"127.0.0.1", 6010})
	if what == "malformed" {
		extra = extra[:len(extra)-4]
	}
	ch, reqs, err := conn.OpenChannel("x11", extra)
	var oe *ssh.OpenChannelError
	if errors.As(err, &oe) {
		return fmt.Sprintf("refused %v", oe.Reason)
	}
	if err != nil {
		return "error " + err.Error()
	}
	go ssh.DiscardRequests(reqs)
	defer ch.Close()
	io.WriteString(ch, "ping")
	ch.CloseWrite()
	answer, _ := io.ReadAll(ch)
	return "accepted " + string(answer)
}

// x11Echo is a handler that answers "pong" to what it reads, and counts
// the connections it served.
type x11Echo struct {
	mu      sync.Mutex
	remotes []string
}

func (e *x11Echo) handle(conn net.Conn) {
	defer conn.Close()
	b, _ := io.ReadAll(conn)
	e.mu.Lock()
	e.remotes = append(e.remotes, conn.RemoteAddr().String())
	e.mu.Unlock()
	io.WriteString(conn, "pong to "+string(b))
}

// run runs command in a new session, with X11 forwarding asked for
// first when o is not nil, and returns its stdout lines.
func runX11(t *testing.T, c *Client, o *X11Options, command string) ([]string, error) {
	t.Helper()
	s, err := c.NewSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if o != nil {
		if _, err := s.RequestX11Forwarding(t.Context(), *o); err != nil {
			return nil, err
		}
	}
	out, err := sessionOutput(t.Context(), s, command)
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, nil
}

// TestX11RefusedUnlessRequested: a server's x11 channel is refused on a
// connection where no session asked for X11 forwarding, after the
// session that asked has ended, after a SingleConnection request's one
// connection, after the server refused the request, and when its open
// is malformed; while a session's forwarding lasts, every channel
// reaches the handler.
func TestX11RefusedUnlessRequested(t *testing.T) {
	isolate(t)
	x := &x11Server{x11Reply: true}
	s := x.start(t)
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	echo := &x11Echo{}
	prohibited := fmt.Sprint(ssh.Prohibited)
	check := func(what string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the server saw %q, want %q", what, got, want)
		}
	}

	out, _ := runX11(t, c, nil, "open")
	check("not requested", out, "refused "+prohibited)

	out, _ = runX11(t, c, &X11Options{Handler: echo.handle}, "open open open malformed")
	check("requested", out, "accepted pong to ping", "accepted pong to ping", "accepted pong to ping", "refused "+fmt.Sprint(ssh.ConnectionFailed))
	if len(echo.remotes) != 3 || echo.remotes[0] != "127.0.0.1:6010" {
		t.Errorf("the handler saw X clients %q", echo.remotes)
	}

	// The session that asked is closed: its grant went with it.
	out, _ = runX11(t, c, nil, "open")
	check("after the session's end", out, "refused "+prohibited)

	out, _ = runX11(t, c, &X11Options{Handler: echo.handle, SingleConnection: true}, "open open")
	check("single connection", out, "accepted pong to ping", "refused "+prohibited)

	x.x11Reply = false
	_, err := runX11(t, c, &X11Options{Handler: echo.handle}, "open")
	var re *RequestError
	if !errors.As(err, &re) || re.Request != "x11-req" || !errors.Is(err, ErrSSH) {
		t.Fatalf("a refused x11-req: %v", err)
	}
	out, _ = runX11(t, c, nil, "open")
	check("after a refused request", out, "refused "+prohibited)

	if _, err := runX11(t, c, &X11Options{}, "open"); !errors.Is(err, errNoX11Handler) {
		t.Errorf("no handler: %v", err)
	}
	c.Close()
}

// TestX11Timeout: X11 channels the server opens after X11Options.Timeout
// are refused (OpenSSH's ForwardX11Timeout: an untrusted cookie may have
// expired by then, and an X server might let the client in
// unauthenticated); before it they reach the handler.
func TestX11Timeout(t *testing.T) {
	isolate(t)
	x := &x11Server{x11Reply: true}
	s := x.start(t)
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	defer c.Close()
	echo := &x11Echo{}
	out, err := runX11(t, c, &X11Options{Handler: echo.handle, Timeout: time.Second}, "open wait open")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"accepted pong to ping", "refused " + fmt.Sprint(ssh.Prohibited)}; !slices.Equal(out, want) {
		t.Fatalf("the server saw %q, want %q", out, want)
	}
}

// TestX11RequestPayload: x11-req carries RFC 4254's fields: the single
// connection flag, the protocol, the cookie in hex and the screen; an
// unset cookie is 16 random bytes, a new one each time.
func TestX11RequestPayload(t *testing.T) {
	isolate(t)
	x := &x11Server{x11Reply: true}
	s := x.start(t)
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	type x11Req struct {
		Single bool
		Proto  string
		Cookie string
		Screen uint32
	}
	request := func(o X11Options) ([]byte, x11Req) {
		t.Helper()
		sess, err := c.NewSession(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		cookie, err := sess.RequestX11Forwarding(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		var r x11Req
		if err := ssh.Unmarshal(<-x.x11Reqs, &r); err != nil {
			t.Fatal(err)
		}
		return cookie, r
	}
	h := func(conn net.Conn) { conn.Close() }
	cookie, r := request(X11Options{Handler: h})
	if len(cookie) != 16 || r != (x11Req{false, "MIT-MAGIC-COOKIE-1", hex.EncodeToString(cookie), 0}) {
		t.Errorf("defaults: cookie %x, request %+v", cookie, r)
	}
	cookie2, _ := request(X11Options{Handler: h})
	if bytes.Equal(cookie, cookie2) {
		t.Error("the same random cookie twice")
	}
	mine := []byte{0xde, 0xad, 0xbe, 0xef}
	cookie, r = request(X11Options{Handler: h, SingleConnection: true, AuthProtocol: "XDM-AUTHORIZATION-1", Cookie: mine, Screen: 2})
	if !bytes.Equal(cookie, mine) || r != (x11Req{true, "XDM-AUTHORIZATION-1", "deadbeef", 2}) {
		t.Errorf("given: cookie %x, request %+v", cookie, r)
	}
	c.Close()
}

// TestX11GrantsOfEndedSessionsDropped: a connection whose sessions ask
// for X11 forwarding and end without any X11 channel keeps no grant of
// theirs (nor their handlers) once another request comes.
func TestX11GrantsOfEndedSessionsDropped(t *testing.T) {
	isolate(t)
	x := &x11Server{x11Reply: true}
	s := x.start(t)
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	defer c.Close()
	request := func() *Session {
		sess, err := c.NewSession(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sess.RequestX11Forwarding(t.Context(), X11Options{Handler: func(conn net.Conn) { conn.Close() }}); err != nil {
			t.Fatal(err)
		}
		<-x.x11Reqs
		return sess
	}
	for range 5 {
		sess := request()
		sess.Close()
		<-sess.Done()
	}
	last := request()
	defer last.Close()
	c.mu.Lock()
	cc := c.conn
	c.mu.Unlock()
	cc.x11Mu.Lock()
	n := len(cc.x11Grants)
	cc.x11Mu.Unlock()
	if n != 1 {
		t.Fatalf("%d X11 grants kept, want only the open session's", n)
	}
}
