package sshtest

import (
	"net"
	"strings"
	"testing"
)

// TestOfferedBadServer checks that Offered reports, rather than panics
// on, servers that send no version line or malformed packets.
func TestOfferedBadServer(t *testing.T) {
	for name, reply := range map[string]string{
		"no version":     "hello\r\n",
		"huge packet":    "SSH-2.0-x\r\n\xff\xff\xff\xff\x04",
		"padding > size": "SSH-2.0-x\r\n\x00\x00\x00\x02\x09xx",
		"not kexinit":    "SSH-2.0-x\r\n\x00\x00\x00\x0c\x0a\x15" + strings.Repeat("\x00", 10),
		"short kexinit":  "SSH-2.0-x\r\n\x00\x00\x00\x0c\x0a\x14" + strings.Repeat("\x00", 10),
	} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte(reply))
				c.Close()
			}()
			s := &Server{Name: "bad", Addr: ln.Addr().String()}
			if o, err := s.Offered(); err == nil {
				t.Errorf("got %+v, want an error", o)
			}
		})
	}
}
