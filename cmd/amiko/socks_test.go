package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko"
)

// socks4Request is a SOCKS4 request; a non-empty host makes it SOCKS4a.
func socks4Request(cmd byte, ip [4]byte, port uint16, user, host string) []byte {
	b := []byte{4, cmd}
	b = binary.BigEndian.AppendUint16(b, port)
	if host != "" {
		ip = [4]byte{0, 0, 0, 1}
	}
	b = append(b, ip[:]...)
	b = append(append(b, user...), 0)
	if host != "" {
		b = append(append(b, host...), 0)
	}
	return b
}

// socks5Request is a SOCKS5 greeting offering no authentication, and a
// request for host (an IP address, or else a name) and port.
func socks5Request(cmd byte, host string, port uint16) []byte {
	b := []byte{5, 1, socks5NoAuth, 5, cmd, 0}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		b = append(append(b, socks5AddrIPv4), a.AsSlice()...)
	} else if err == nil {
		b = append(append(b, socks5AddrIPv6), a.AsSlice()...)
	} else {
		b = append(append(b, socks5AddrDomain, byte(len(host))), host...)
	}
	return binary.BigEndian.AppendUint16(b, port)
}

var (
	socks5Hello = []byte{5, socks5NoAuth}
	socks4Yes   = []byte{0, 0x5a, 0, 0, 0, 0, 0, 0}
	socks4No    = []byte{0, 0x5b, 0, 0, 0, 0, 0, 0}
)

// socks5Reply is the method choice and the reply with code.
func socks5Reply(code byte) []byte {
	return append(append([]byte{}, socks5Hello...), 5, code, 0, 1, 0, 0, 0, 0, 0, 0)
}

// socksCases are requests with the reply each gets and the address it
// dials, if any, for TestSOCKSConnect; their requests seed
// FuzzSOCKSRequest.
var socksCases = []struct {
	name    string
	request []byte
	dialErr error  // what the dial returns
	dialed  string // "" if no dial is expected
	reply   []byte
}{
	{"socks4", socks4Request(1, [4]byte{127, 0, 0, 1}, 80, "alice", ""), nil, "127.0.0.1:80", socks4Yes},
	{"socks4a", socks4Request(1, [4]byte{}, 443, "", "example.test"), nil, "example.test:443", socks4Yes},
	{"socks4 0.0.0.0 is not socks4a", socks4Request(1, [4]byte{}, 7, "", ""), nil, "0.0.0.0:7", socks4Yes},
	{"socks5 IPv4", socks5Request(1, "127.0.0.1", 80), nil, "127.0.0.1:80", socks5Reply(0)},
	{"socks5 IPv6", socks5Request(1, "::1", 22), nil, "[::1]:22", socks5Reply(0)},
	{"socks5 name", socks5Request(1, "example.test", 8080), nil, "example.test:8080", socks5Reply(0)},
	{"socks5 methods after others", append([]byte{5, 3, 2, 1, 0}, socks5Request(1, "10.0.0.1", 1)[3:]...), nil, "10.0.0.1:1", socks5Reply(0)},

	{"socks4 BIND", socks4Request(2, [4]byte{127, 0, 0, 1}, 80, "", ""), nil, "", socks4No},
	{"socks4 user ID too long", socks4Request(1, [4]byte{127, 0, 0, 1}, 80, strings.Repeat("u", 256), ""), nil, "", socks4No},
	{"socks4a name too long", socks4Request(1, [4]byte{}, 80, "", strings.Repeat("h", 256)), nil, "", socks4No},
	{"socks4a empty name", append(socks4Request(1, [4]byte{0, 0, 0, 9}, 80, "", ""), 0), nil, "", socks4No},
	{"socks5 BIND", socks5Request(2, "127.0.0.1", 80), nil, "", socks5Reply(0x07)},
	{"socks5 UDP ASSOCIATE", socks5Request(3, "127.0.0.1", 80), nil, "", socks5Reply(0x07)},
	{"socks5 address type 9", []byte{5, 1, 0, 5, 1, 0, 9, 1, 2, 3, 4, 0, 80}, nil, "", socks5Reply(0x08)},
	{"socks5 request of version 4", []byte{5, 1, 0, 4, 1, 0, 1, 1, 2, 3, 4, 0, 80}, nil, "", socks5Reply(0x01)},
	{"socks5 empty name", socks5Request(1, "", 80), nil, "", socks5Reply(0x01)},
	{"socks5 name with a space", socks5Request(1, "a b", 80), nil, "", socks5Reply(0x01)},
	{"socks5 user/password only", []byte{5, 1, 2}, nil, "", []byte{5, 0xff}},
	{"socks5 no methods", []byte{5, 0}, nil, "", []byte{5, 0xff}},
	{"not socks", []byte("GET / HTTP/1.1\r\n\r\n"), nil, "", nil},
	{"socks5 cut short", socks5Request(1, "127.0.0.1", 80)[:8], nil, "", socks5Hello},
	{"socks4 cut short", socks4Request(1, [4]byte{127, 0, 0, 1}, 80, "bob", "")[:10], nil, "", nil},

	// The server did not open the channel: Client.Dial's error wraps
	// the server's reason in a *net.OpError.
	{"socks5 connect failed", socks5Request(1, "127.0.0.1", 9), openFailure(sshOpenConnectFailed), "127.0.0.1:9", socks5Reply(0x05)},
	{"socks5 prohibited", socks5Request(1, "127.0.0.1", 9), openFailure(sshOpenProhibited), "127.0.0.1:9", socks5Reply(0x02)},
	{"socks5 resource shortage", socks5Request(1, "127.0.0.1", 9), openFailure(4), "127.0.0.1:9", socks5Reply(0x01)},
	{"socks5 connection lost", socks5Request(1, "127.0.0.1", 9), amiko.ErrNotConnected, "127.0.0.1:9", socks5Reply(0x01)},
	{"socks4 connect failed", socks4Request(1, [4]byte{127, 0, 0, 1}, 9, "", ""), openFailure(sshOpenConnectFailed), "127.0.0.1:9", socks4No},
}

func openFailure(reason uint32) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: &amiko.OpenChannelError{Reason: reason, Message: "test"}}
}

// TestSOCKSConnect runs each request through socksConnect over a TCP
// connection and checks every byte it answers, what it dials, and that
// it closes the connection when it does not serve the request.
func TestSOCKSConnect(t *testing.T) {
	checkNoLeak(t)
	for _, c := range socksCases {
		t.Run(c.name, func(t *testing.T) {
			client, server := tcpPair(t)
			var dialed string
			dial := func(_ context.Context, addr string) (net.Conn, error) {
				dialed = addr
				if c.dialErr != nil {
					return nil, c.dialErr
				}
				a, b := net.Pipe()
				b.Close()
				return a, nil
			}
			type result struct {
				remote net.Conn
				err    error
			}
			done := make(chan result, 1)
			go func() {
				remote, err := socksConnect(t.Context(), server, dial)
				done <- result{remote, err}
			}()
			if _, err := client.Write(c.request); err != nil {
				t.Fatal(err)
			}
			client.(*net.TCPConn).CloseWrite()
			res := <-done
			if res.remote != nil {
				res.remote.Close()
				server.Close() // the caller's, after splicing
			}
			reply, err := io.ReadAll(client)
			if err != nil {
				t.Fatalf("reading the reply: %v", err)
			}
			if !bytes.Equal(reply, c.reply) {
				t.Errorf("reply % x, want % x", reply, c.reply)
			}
			if dialed != c.dialed {
				t.Errorf("dialed %q, want %q", dialed, c.dialed)
			}
			wantServed := c.dialed != "" && c.dialErr == nil
			if served := res.err == nil; served != wantServed {
				t.Errorf("served %v (%v), want %v", served, res.err, wantServed)
			}
			var oe *socksOpenError
			if c.dialErr != nil && (!errors.As(res.err, &oe) || oe.target != c.dialed || !errors.Is(res.err, c.dialErr)) {
				t.Errorf("error %v, want a *socksOpenError for %s", res.err, c.dialed)
			}
		})
	}
}

// tcpPair returns the two ends of a TCP connection on the loopback,
// with a hang guard on the client's end.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if server, err = l.Accept(); err != nil {
		t.Fatal(err)
	}
	client.SetDeadline(time.Now().Add(time.Minute))
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestSOCKSHandshakeTimeout: a client that connects and sends nothing,
// or half a request, is dropped rather than held.
func TestSOCKSHandshakeTimeout(t *testing.T) {
	checkNoLeak(t)
	defer func(d time.Duration) { socksHandshakeTimeout = d }(socksHandshakeTimeout)
	socksHandshakeTimeout = 50 * time.Millisecond
	for _, sent := range [][]byte{nil, {5}, {5, 1, 0, 5, 1, 0, 3, 200, 'a'}, {4, 1, 0, 80, 127, 0, 0, 1, 'u'}} {
		client, server := tcpPair(t)
		client.Write(sent)
		done := make(chan error, 1)
		go func() {
			_, err := socksConnect(t.Context(), server, func(context.Context, string) (net.Conn, error) {
				return nil, errors.New("dialed")
			})
			done <- err
		}()
		if _, err := io.ReadAll(client); err != nil {
			t.Errorf("after %q: the connection was not closed: %v", sent, err)
		}
		client.Close()
		var ne net.Error
		if err := <-done; !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("after %q: %v, want a timeout", sent, err)
		}
	}
}

// TestParseDynamicForward: -D's forms, and where each listens.
func TestParseDynamicForward(t *testing.T) {
	for _, c := range []struct {
		spec    string
		gateway bool
		bind    string
		port    int
	}{
		{"1080", false, "localhost", 1080},
		{"1080", true, "", 1080},
		{"0", false, "localhost", 0},
		{"localhost:1080", true, "localhost", 1080},
		{"127.0.0.1:1080", false, "127.0.0.1", 1080},
		{"[::1]:1080", false, "::1", 1080},
		{"*:1080", false, "", 1080},
		{":1080", false, "", 1080},
		{"0.0.0.0/1080", false, "0.0.0.0", 1080},
	} {
		fs, err := parseDynamicForward(c.spec)
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		if bind := localBind(fs, c.gateway); bind != c.bind || fs.Port != c.port {
			t.Errorf("%q (GatewayPorts %v): listens on %q port %d, want %q port %d", c.spec, c.gateway, bind, fs.Port, c.bind, c.port)
		}
	}
	for _, bad := range []string{"", "x", "65536", "-1", "a:b:1080", "[::1:1080", "h:1:2"} {
		if _, err := parseDynamicForward(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzSOCKSRequest feeds readSOCKSRequest what a hostile client could
// send. It must not panic, must write nothing but SOCKS5's method choice,
// and a request it accepts must be one that encodes back to the same
// request. The seeds are socksCases' requests.
//
//	go test ./cmd/amiko -run '^$' -fuzz '^FuzzSOCKSRequest$'
func FuzzSOCKSRequest(f *testing.F) {
	for _, c := range socksCases {
		f.Add(c.request)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(data), &out}
		req, err := readSOCKSRequest(rw)
		if w := out.Bytes(); len(w) > 0 && !bytes.Equal(w, socks5Hello) && !bytes.Equal(w, []byte{5, 0xff}) {
			t.Fatalf("wrote % x", w)
		}
		var se *socksError
		if errors.As(err, &se) && se.version != 0 && se.version != 4 && se.version != 5 {
			t.Fatalf("error for version %d", se.version)
		}
		if err != nil {
			return
		}
		if req.version != 4 && req.version != 5 || req.host == "" || len(req.host) > socksMaxName {
			t.Fatalf("accepted %+v", req)
		}
		// Encoded back as a name (SOCKS5) or SOCKS4a, so that the host
		// is the same string.
		again := binary.BigEndian.AppendUint16(append([]byte{5, 1, 0, 5, 1, 0, 3, byte(len(req.host))}, req.host...), req.port)
		if req.version == 4 {
			again = socks4Request(socksCmdConnect, [4]byte{}, req.port, "", req.host)
		}
		req2, err := readSOCKSRequest(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(again), io.Discard})
		if err != nil || *req2 != *req {
			t.Fatalf("%+v encodes to % x, which reads as %+v, %v", req, again, req2, err)
		}
	})
}
