package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// checkNoLeak: see leaktest.Check.
func checkNoLeak(t *testing.T) { leaktest.Check(t) }

// dialFake runs the client handshake against a fake server and returns
// its error and how long it took. The timeouts default to long ones, for
// servers that fail the handshake otherwise: a loaded machine may take a
// while even for a fake server.
func dialFake(t *testing.T, addr string, cfg *Config) (time.Duration, error) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if cfg == nil {
		cfg = &Config{}
	}
	if cfg.HostKeyCallback == nil {
		cfg.HostKeyCallback = func(ssh.PublicKey) error { return nil }
	}
	if cfg.BannerTimeout == 0 {
		cfg.BannerTimeout = 10 * time.Second
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 20 * time.Second
	}
	start := time.Now()
	c, err := Client(context.Background(), nc, cfg)
	if err == nil {
		c.Close()
		t.Fatal("handshake succeeded against a hostile server")
	}
	return time.Since(start), err
}

// serverKexInit is a plausible server KEXINIT with strict kex on.
func serverKexInit(strict bool) []byte {
	m := &wire.KexInit{
		KexAlgos:                []string{"curve25519-sha256"},
		HostKeyAlgos:            []string{"ssh-ed25519"},
		CiphersClientServer:     []string{"aes128-ctr"},
		CiphersServerClient:     []string{"aes128-ctr"},
		MACsClientServer:        []string{"hmac-sha2-256"},
		MACsServerClient:        []string{"hmac-sha2-256"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}
	if strict {
		m.KexAlgos = append(m.KexAlgos, strictKexServer)
	}
	return m.Append(nil)
}

func plainPacket(payload []byte) []byte {
	return noneCipher{}.seal(0, nil, payload, newPadding([32]byte{}))
}

// untilClosed reads and discards what the client sends until it hangs up.
func untilClosed(nc net.Conn) { io.Copy(io.Discard, nc) }

func TestHostileServers(t *testing.T) {
	banner := []byte("SSH-2.0-fake\r\n")
	// The servers that say nothing (more) are ended by short timeouts;
	// the others get dialFake's long ones.
	short := &Config{BannerTimeout: 500 * time.Millisecond, HandshakeTimeout: 1500 * time.Millisecond}
	timesOut := map[string]bool{"silent": true, "stalls after banner": true}
	tests := []struct {
		name   string
		script func(nc net.Conn)
		check  func(err error) bool
	}{
		{"silent", func(nc net.Conn) { untilClosed(nc) },
			func(err error) bool {
				var te *TimeoutError
				return errors.As(err, &te) && te.Phase == "banner"
			}},
		{"endless banner lines", func(nc net.Conn) {
			for {
				if _, err := nc.Write([]byte("Welcome to a server that never stops talking\r\n")); err != nil {
					return
				}
			}
		}, isProtocolError("more than")},
		{"endless line", func(nc net.Conn) {
			line := bytes.Repeat([]byte("x"), 4096)
			for {
				if _, err := nc.Write(line); err != nil {
					return
				}
			}
		}, isProtocolError("too long")},
		{"garbage version", func(nc net.Conn) { nc.Write([]byte("SSH-1.5-ancient\r\n")); untilClosed(nc) },
			isProtocolError("unsupported protocol version")},
		{"stalls after banner", func(nc net.Conn) { nc.Write(banner); untilClosed(nc) },
			func(err error) bool {
				var te *TimeoutError
				return errors.As(err, &te) && te.Phase == "handshake"
			}},
		{"truncated packet", func(nc net.Conn) {
			p := plainPacket(serverKexInit(false))
			nc.Write(append(banner, p[:len(p)/2]...))
			// Half-close, then drain: closing with the client's bytes
			// unread would make the kernel send RST rather than FIN.
			nc.(*net.TCPConn).CloseWrite()
			untilClosed(nc)
		}, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"oversized length", func(nc net.Conn) {
			nc.Write(append(banner, 0x7f, 0xff, 0xff, 0xf0, 4))
			untilClosed(nc)
		}, isProtocolError("invalid packet length")},
		{"bad padding", func(nc net.Conn) {
			p := plainPacket(serverKexInit(false))
			p[4] = 2 // padding_length below the minimum of 4
			nc.Write(append(banner, p...))
			untilClosed(nc)
		}, isProtocolError("padding")},
		{"misaligned length", func(nc net.Conn) {
			p := plainPacket(serverKexInit(false))
			binary.BigEndian.PutUint32(p, binary.BigEndian.Uint32(p)-1)
			nc.Write(append(banner, p...))
			untilClosed(nc)
		}, isProtocolError("multiple of the cipher block size")},
		{"strict kex: IGNORE before KEXINIT", func(nc net.Conn) {
			nc.Write(append(append(banner, plainPacket([]byte{wire.MsgIgnore, 0, 0, 0, 0})...), plainPacket(serverKexInit(true))...))
			untilClosed(nc)
		}, isProtocolError("not the server's first packet")},
		{"strict kex: IGNORE during kex", func(nc net.Conn) {
			nc.Write(append(append(banner, plainPacket(serverKexInit(true))...), plainPacket([]byte{wire.MsgIgnore, 0, 0, 0, 0})...))
			untilClosed(nc)
		}, isProtocolError("strict key exchange: unexpected message 2")},
		{"service message during kex", func(nc net.Conn) {
			nc.Write(append(append(banner, plainPacket(serverKexInit(false))...), plainPacket(wire.AppendServiceRequest(nil, "x"))...))
			untilClosed(nc)
		}, isProtocolError("unexpected message 5 during key exchange")},
		{"no common cipher", func(nc net.Conn) {
			m, _ := wire.ParseKexInit(serverKexInit(false))
			m.CiphersServerClient = []string{"rot13"}
			nc.Write(append(banner, plainPacket(m.Append(nil))...))
			untilClosed(nc)
		}, func(err error) bool {
			var ne *NegotiationError
			return errors.As(err, &ne) && ne.Category == CategoryCipher && ne.Server[0] == "rot13"
		}},
		{"disconnect", func(nc net.Conn) {
			d := wire.Disconnect{Reason: wire.DisconnectTooManyConnections, Message: "go away"}
			nc.Write(append(banner, plainPacket(d.Append(nil))...))
			untilClosed(nc)
		}, func(err error) bool {
			var de *DisconnectError
			return errors.As(err, &de) && de.Reason == wire.DisconnectTooManyConnections && de.Message == "go away"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeak(t)
			addr := sshtest.ServeTCP(t, tt.script)
			var cfg *Config
			if timesOut[tt.name] {
				c := *short
				cfg = &c
			}
			took, err := dialFake(t, addr, cfg)
			if !tt.check(err) {
				t.Fatalf("error %T %v is not the expected kind", err, err)
			}
			t.Logf("%v (after %v)", err, took.Round(time.Millisecond))
		})
	}
}

func isProtocolError(substr string) func(error) bool {
	return func(err error) bool {
		var pe *ProtocolError
		return errors.As(err, &pe) && strings.Contains(pe.Reason, substr)
	}
}

// TestContextCancelEndsHandshake cancels the context while the server
// says nothing: Client returns the context's error at once.
func TestContextCancelEndsHandshake(t *testing.T) {
	checkNoLeak(t)
	addr := sshtest.ServeTCP(t, untilClosed)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Client(ctx, nc, &Config{HostKeyCallback: func(ssh.PublicKey) error { return nil }})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}
