package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const testKrb5Conf = `[libdefaults]
 default_realm = EXAMPLE.ORG
[realms]
 EXAMPLE.ORG = {
  kdc = %s
 }
`

// newTestMechanism is the mechanism over a cache with creds and a
// krb5.conf naming kdc.
func newTestMechanism(t testing.TB, kdc string, creds ...credential) gssapi.Mechanism {
	t.Helper()
	m, err := New(WithConfigFile(writeFile(t, "krb5.conf", fmt.Sprintf(testKrb5Conf, kdc))),
		WithCCache("FILE:"+writeFile(t, "ccache", string(makeCCache(testClient, creds...)))))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInitSecContextWithoutCredentials(t *testing.T) {
	hour := time.Now().Add(time.Hour)
	service := credential{Client: testClient, Server: testServer, Key: randomKey(t, 18), EndTime: hour, Ticket: []byte{0x61, 0}}
	cases := map[string]struct {
		mech gssapi.Mechanism
		want error
	}{
		"no TGT":      {newTestMechanism(t, "127.0.0.1:1", service), gssapi.ErrNoCredentials},
		"expired TGT": {newTestMechanism(t, "127.0.0.1:1", testTGT(t, time.Now().Add(-time.Second), 0)), gssapi.ErrExpired},
	}
	m, err := New(WithConfigFile(writeFile(t, "krb5.conf", "")), WithCCache(filepath.Join(t.TempDir(), "none")))
	if err != nil {
		t.Fatal(err)
	}
	cases["no cache"] = struct {
		mech gssapi.Mechanism
		want error
	}{m, gssapi.ErrNoCredentials}
	m, err = New(WithConfigFile(writeFile(t, "krb5.conf", "")), WithCCache(writeFile(t, "cc", "\x05\x04\x00")))
	if err != nil {
		t.Fatal(err)
	}
	cases["damaged cache"] = struct {
		mech gssapi.Mechanism
		want error
	}{m, gssapi.ErrNoCredentials}
	for name, c := range cases {
		if _, err := c.mech.InitSecContext(t.Context(), "host@server.example.org", gssapi.ContextOptions{}); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

func TestInitSecContextCrossRealm(t *testing.T) {
	m, err := New(WithConfigFile(writeFile(t, "krb5.conf", "[domain_realm]\n .other.net = OTHER.NET\n")),
		WithCCache(writeFile(t, "cc", string(makeCCache(testClient, testTGT(t, time.Now().Add(time.Hour), 0))))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.InitSecContext(t.Context(), "host@a.other.net", gssapi.ContextOptions{}); !errors.Is(err, errCrossRealm) {
		t.Fatalf("err = %v", err)
	}
}

// fakeKDC answers on one port over UDP and TCP with canned replies.
type fakeKDC struct {
	addr     string
	udp      net.PacketConn
	tcp      net.Listener
	udpReply []byte
	tcpReply []byte
	wg       sync.WaitGroup
}

func startFakeKDC(t *testing.T, udpReply, tcpReply []byte) *fakeKDC {
	t.Helper()
	k := &fakeKDC{udpReply: udpReply, tcpReply: tcpReply}
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u, err := net.ListenPacket("udp", l.Addr().String())
		if err != nil {
			l.Close()
			continue
		}
		k.tcp, k.udp, k.addr = l, u, l.Addr().String()
		break
	}
	if k.tcp == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	k.wg.Add(2)
	go func() {
		defer k.wg.Done()
		buf := make([]byte, 65536)
		for {
			_, from, err := k.udp.ReadFrom(buf)
			if err != nil {
				return
			}
			k.udp.WriteTo(k.udpReply, from)
		}
	}()
	go func() {
		defer k.wg.Done()
		for {
			c, err := k.tcp.Accept()
			if err != nil {
				return
			}
			var n [4]byte
			if _, err := io.ReadFull(c, n[:]); err == nil {
				io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(n[:])))
				c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(k.tcpReply))))
				c.Write(k.tcpReply)
			}
			c.Close()
		}
	}()
	t.Cleanup(func() {
		k.udp.Close()
		k.tcp.Close()
		k.wg.Wait()
	})
	return k
}

func krbError(t testing.TB, code int32) []byte {
	e := messages.NewKRBError(types.PrincipalName{NameType: 2, NameString: []string{"krbtgt", "EXAMPLE.ORG"}}, "EXAMPLE.ORG", code, "")
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The KDC's error codes reach the caller as the gssapi errors, with the
// KRB-ERROR in the chain; a reply too big for UDP is asked again over
// TCP.
func TestKDCErrors(t *testing.T) {
	tooBig := krbError(t, errorcode.KRB_ERR_RESPONSE_TOO_BIG)
	for code, want := range map[int32]error{
		errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN: gssapi.ErrUnknownServer,
		errorcode.KRB_AP_ERR_TKT_EXPIRED:      gssapi.ErrExpired,
		errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN: gssapi.ErrNoCredentials,
		errorcode.KDC_ERR_BADOPTION:           nil,
	} {
		kdc := startFakeKDC(t, tooBig, krbError(t, code))
		m := newTestMechanism(t, kdc.addr, testTGT(t, time.Now().Add(time.Hour), 0))
		_, err := m.InitSecContext(t.Context(), "host@server.example.org", gssapi.ContextOptions{})
		var kerr messages.KRBError
		if !errors.As(err, &kerr) || kerr.ErrorCode != code {
			t.Errorf("code %d: err = %v", code, err)
		}
		if want != nil && !errors.Is(err, want) {
			t.Errorf("code %d: err = %v, want %v", code, err, want)
		}
	}
}

// A KDC that answers nonsense, or is not there, is an error.
func TestKDCNonsense(t *testing.T) {
	kdc := startFakeKDC(t, []byte("nonsense"), []byte{0x6d, 0x03, 0x02, 0x01, 0x05})
	m := newTestMechanism(t, kdc.addr, testTGT(t, time.Now().Add(time.Hour), 0))
	if _, err := m.InitSecContext(t.Context(), "host@server.example.org", gssapi.ContextOptions{}); err == nil {
		t.Error("a nonsense reply made a context")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	m = newTestMechanism(t, addr, testTGT(t, time.Now().Add(time.Hour), 0))
	m.(*mechanism).kdcTimeout = 2 * time.Second
	if _, err := m.InitSecContext(t.Context(), "host@server.example.org", gssapi.ContextOptions{}); err == nil {
		t.Error("no KDC made a context")
	}
}

// A KDC that takes the request and never answers holds InitSecContext
// only as long as its context: cancelled, or past its deadline, it
// returns the context's error at once rather than after the per-KDC
// timeout (an hour here, so that only the context can end the wait).
func TestKDCUnansweredEndsWithTheContext(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	asked := make(chan struct{}, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := udp.ReadFrom(buf); err != nil {
				return
			}
			asked <- struct{}{}
		}
	}()
	m := newTestMechanism(t, udp.LocalAddr().String(), testTGT(t, time.Now().Add(time.Hour), 0))
	m.(*mechanism).kdcTimeout = time.Hour

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := m.InitSecContext(ctx, "host@server.example.org", gssapi.ContextOptions{})
		errc <- err
	}()
	<-asked
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: err = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("InitSecContext still waiting for the KDC after its context was cancelled")
	}

	ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	go func() {
		_, err := m.InitSecContext(ctx, "host@server.example.org", gssapi.ContextOptions{})
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("past the deadline: err = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("InitSecContext still waiting for the KDC after its context's deadline")
	}
}
