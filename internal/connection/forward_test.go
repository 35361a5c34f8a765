package connection

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// TestRemoteForward asks sshd to listen (tcpip-forward), connects to
// that port, and receives the forwarded-tcpip channel sshd opens.
func TestRemoteForward(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := dial(t, s, s.Addr, Config{})
	accepted := make(chan *Channel, 1)
	c.HandleChannelOpen("forwarded-tcpip", func(nc *NewChannel) {
		ch, err := nc.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- ch
	})
	req := wire.AppendText(nil, "127.0.0.1")
	req = wire.AppendUint32(req, 0)
	ok, data, err := c.SendGlobalRequest("tcpip-forward", true, req)
	if err != nil || !ok || len(data) != 4 {
		t.Fatalf("tcpip-forward: %v %x %v", ok, data, err)
	}
	port := binary.BigEndian.Uint32(data)
	nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var ch *Channel
	select {
	case ch = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("no forwarded-tcpip channel")
	}
	if _, err := nc.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(ch, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("channel read %q %v", buf, err)
	}
	if _, err := ch.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(nc, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("socket read %q %v", buf, err)
	}
	nc.Close()
	if _, err := ch.Read(buf); err != io.EOF {
		t.Fatalf("after the socket closed: %v", err)
	}
	ch.Close()
	select {
	case <-ch.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed")
	}
}
