package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// corruptingProxy forwards to target and flips one bit in the first
// encrypted packet from the server: it follows the server's plaintext
// packets up to NEWKEYS, then corrupts byte 10 of what comes next (inside
// the payload for every cipher, so the length still reads right).
func corruptingProxy(t *testing.T, target string) string {
	t.Helper()
	return sshtest.ServeTCP(t, func(client net.Conn) {
		server, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		done := make(chan struct{})
		go func() { io.Copy(server, client); server.Close(); close(done) }()
		corruptAfterNewKeys(client, server)
		client.Close()
		<-done
	})
}

func corruptAfterNewKeys(dst io.Writer, src io.Reader) {
	r := bufio.NewReader(src)
	for { // version line, and any lines before it
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		dst.Write(line)
		if len(line) >= 4 && string(line[:4]) == "SSH-" {
			break
		}
	}
	for { // plaintext packets up to and including NEWKEYS
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return
		}
		rest := make([]byte, binary.BigEndian.Uint32(hdr)-1)
		if _, err := io.ReadFull(r, rest); err != nil {
			return
		}
		dst.Write(hdr)
		dst.Write(rest)
		if rest[0] == wire.MsgNewKeys {
			break
		}
	}
	first := make([]byte, 11)
	if _, err := io.ReadFull(r, first); err != nil {
		return
	}
	first[10] ^= 0x01
	dst.Write(first)
	io.Copy(dst, r)
}

func TestCorruptedPacketIsAMACError(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	for _, tc := range [][2]string{
		{"chacha20-poly1305@openssh.com", ""},
		{"aes128-gcm@openssh.com", ""},
		{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
		{"aes256-ctr", "hmac-sha2-512"},
	} {
		t.Run(tc[0]+"/"+tc[1], func(t *testing.T) {
			checkNoLeak(t)
			addr := corruptingProxy(t, s.Addr)
			cfg := &Config{Ciphers: []string{tc[0]}}
			if tc[1] != "" {
				cfg.MACs = []string{tc[1]}
			}
			c, err := Client(t.Context(), dialT(t, addr), withKnown(cfg, s))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.ReadPacket()
			if !errors.Is(err, ErrMAC) {
				t.Fatalf("got %v, want a MAC error", err)
			}
			// The error sticks, and writers see the connection is gone.
			if _, err2 := c.ReadPacket(); err2 != err {
				t.Fatalf("second read: %v", err2)
			}
			if err := c.WritePacket([]byte{wire.MsgIgnore, 0, 0, 0, 0}); err == nil {
				t.Fatal("write after a fatal read error succeeded")
			}
		})
	}
}

func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// withKnown sets cfg's host key callback to accept s's host keys.
func withKnown(cfg *Config, s *sshtest.Server) *Config {
	check := s.HostKeyCallback()
	cfg.HostKeyCallback = func(k ssh.PublicKey) error { return check(s.Addr, nil, k) }
	return cfg
}
