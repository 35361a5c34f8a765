package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/transport"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// The server side of the messages this package decodes, for fakes and
// fuzz targets.

func appendBanner(b []byte, msg, lang string) []byte {
	b = append(b, wire.MsgUserauthBanner)
	b = wire.AppendText(b, msg)
	return wire.AppendText(b, lang)
}

func (m *pkOK) append(b []byte) []byte {
	b = append(b, wire.MsgUserauthPKOK)
	b = wire.AppendText(b, m.Algorithm)
	return wire.AppendString(b, m.PublicKey)
}

func appendPasswdChangeReq(b []byte, prompt, lang string) []byte {
	b = append(b, msgUserauthPasswdChangeReq)
	b = wire.AppendText(b, prompt)
	return wire.AppendText(b, lang)
}

func (m *infoRequest) append(b []byte, lang string) []byte {
	b = append(b, wire.MsgUserauthInfoRequest)
	b = wire.AppendText(b, m.Name)
	b = wire.AppendText(b, m.Instruction)
	b = wire.AppendText(b, lang)
	b = wire.AppendUint32(b, uint32(len(m.Prompts)))
	for _, p := range m.Prompts {
		b = wire.AppendText(b, p.Text)
		b = wire.AppendBool(b, p.Echo)
	}
	return b
}

func appendFailure(methods []string, partial bool) []byte {
	return wire.AppendBool(wire.AppendNameList([]byte{wire.MsgUserauthFailure}, methods), partial)
}

var success = []byte{wire.MsgUserauthSuccess}

// fakeTransport is a scripted server: each packet the client writes is
// answered by the next entry of replies (none left: EOF).
type fakeTransport struct {
	replies   [][][]byte
	pending   [][]byte
	written   [][]byte
	sessionID []byte
	exts      map[string]string
	hostKey   ssh.PublicKey
}

func (f *fakeTransport) ReadPacket() ([]byte, error) {
	if len(f.pending) == 0 {
		return nil, io.EOF
	}
	p := f.pending[0]
	f.pending = f.pending[1:]
	return p, nil
}

func (f *fakeTransport) WritePacket(p []byte) error {
	f.written = append(f.written, bytes.Clone(p))
	if len(f.replies) > 0 {
		f.pending = append(f.pending, f.replies[0]...)
		f.replies = f.replies[1:]
	}
	return nil
}

func (f *fakeTransport) SessionID() []byte {
	if f.sessionID == nil {
		return bytes.Repeat([]byte{7}, 32)
	}
	return f.sessionID
}

func (f *fakeTransport) Extension(name string) ([]byte, bool) {
	v, ok := f.exts[name]
	return []byte(v), ok
}

func (f *fakeTransport) HostKey() ssh.PublicKey { return f.hostKey }

// endless replies to every write with the same packets, for as long as
// the client writes.
func endless(n int, packets ...[]byte) [][][]byte {
	r := make([][][]byte, n)
	for i := range r {
		r[i] = packets
	}
	return r
}

// connect opens a transport to s and requests the ssh-userauth service.
func connect(t *testing.T, s *sshtest.Server, cfg *transport.Config) *transport.Conn {
	t.Helper()
	c, err := dial(s, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(s.Log(), 40))
	}
	t.Cleanup(func() { c.Close() })
	if err := RequestService(c); err != nil {
		t.Fatalf("%v\n%s", err, tail(s.Log(), 40))
	}
	return c
}

func dial(s *sshtest.Server, cfg *transport.Config) (*transport.Conn, error) {
	nc, err := net.DialTimeout("tcp", s.Addr, 20*time.Second)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &transport.Config{}
	}
	if cfg.HostKeyCallback == nil {
		check := s.HostKeyCallback()
		cfg.HostKeyCallback = func(k ssh.PublicKey) error { return check(s.Addr, nc.RemoteAddr(), k) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := transport.Client(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	// No test waits on a server for longer.
	nc.SetDeadline(time.Now().Add(2 * time.Minute))
	return c, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func asFailure(t *testing.T, err error) *FailureError {
	t.Helper()
	var fe *FailureError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v (%T), want a *FailureError", err, err)
	}
	return fe
}

// Keys made once per test binary: RSA generation is slow.
var (
	rsaSigner = sync.OnceValue(func() ssh.Signer {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return mustSigner(k)
	})
	ecdsaSigner = sync.OnceValue(func() ssh.Signer {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return mustSigner(k)
	})
)

func newEd25519(t testing.TB) ssh.Signer {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return mustSigner(k)
}

func mustSigner(k any) ssh.Signer {
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		panic(err)
	}
	return s
}
