package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
)

// xsshServer is a golang.org/x/crypto/ssh server on loopback that accepts
// one user key; every accepted connection's session id is sent on
// sessionIDs. It exists so transport tests can check their exchange hash
// against an implementation nobody here wrote.
type xsshServer struct {
	addr       string
	hostKey    ssh.Signer
	userKey    ssh.Signer
	sessionIDs chan []byte
	errs       chan error
}

func startXSSH(t *testing.T, configure func(*ssh.ServerConfig)) *xsshServer {
	t.Helper()
	_, hk, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ := ssh.NewSignerFromKey(hk)
	_, uk, _ := ed25519.GenerateKey(rand.Reader)
	userKey, _ := ssh.NewSignerFromKey(uk)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(k.Marshal(), userKey.PublicKey().Marshal()) {
				return nil, nil
			}
			return nil, errDenied
		},
	}
	cfg.AddHostKey(hostKey)
	if configure != nil {
		configure(cfg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &xsshServer{addr: l.Addr().String(), hostKey: hostKey, userKey: userKey,
		sessionIDs: make(chan []byte, 16), errs: make(chan error, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
				if err != nil {
					s.errs <- err
					return
				}
				s.sessionIDs <- sc.SessionID()
				go ssh.DiscardRequests(reqs)
				for ch := range chans {
					ch.Reject(ssh.Prohibited, "no channels here")
				}
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return s
}

func fixedHostKey(want ssh.PublicKey) func(ssh.PublicKey) error {
	return func(k ssh.PublicKey) error {
		if !bytes.Equal(k.Marshal(), want.Marshal()) {
			return errDenied
		}
		return nil
	}
}

var errDenied = &ssh.PartialSuccessError{}

func TestClientAgainstXSSH(t *testing.T) {
	s := startXSSH(t, nil)
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c, err := Client(context.Background(), nc, &Config{
		HostKeyCallback: fixedHostKey(s.hostKey.PublicKey()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := auth.RequestService(c); err != nil {
		t.Fatal(err)
	}
	if err := auth.PublicKey(c, "tester", s.userKey); err != nil {
		t.Fatal(err)
	}
	if id := <-s.sessionIDs; !bytes.Equal(id, c.SessionID()) {
		t.Fatalf("session id %x, server has %x", c.SessionID(), id)
	}
	t.Logf("negotiated %+v, strict=%v", c.Algorithms(), c.StrictKex())
}
