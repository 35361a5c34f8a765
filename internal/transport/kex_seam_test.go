package transport

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"net"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// tokenKex stands in for GSS-API key exchange to prove the seam it needs:
// several messages each way, no host key, the server authenticated by
// the method itself. The client sends two tokens (30) and the server
// answers each (31, then 32 "complete"); both hash the tokens into H.
type tokenKex struct{}

var tokenSecret = []byte{0, 0, 0, 4, 1, 2, 3, 4} // K as an mpint

func tokenHash(in *kexInput) []byte {
	h := sha256.New()
	h.Write(in.clientKexInit)
	h.Write(in.serverKexInit)
	h.Write(tokenSecret)
	return h.Sum(nil)
}

func (tokenKex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	for i, want := range []byte{31, 32} {
		if err := t.writePacket([]byte{30, byte(i)}); err != nil {
			return nil, err
		}
		p, err := t.readPacket()
		if err != nil {
			return nil, err
		}
		if p[0] != want {
			return nil, &ProtocolError{Reason: "token exchange out of order"}
		}
	}
	return &kexResult{H: tokenHash(in), K: tokenSecret, Hash: crypto.SHA256, serverAuthenticated: true}, nil
}

// tokenServer is the scripted server side: it answers the tokens, then
// switches to the derived keys and sends an encrypted SERVICE_ACCEPT.
func tokenServer(nc net.Conn) {
	sent := &wire.KexInit{
		KexAlgos: []string{"token-test"}, HostKeyAlgos: []string{"null"},
		CiphersClientServer: []string{"aes128-gcm@openssh.com"}, CiphersServerClient: []string{"aes128-gcm@openssh.com"},
		MACsClientServer: []string{"hmac-sha2-256"}, MACsServerClient: []string{"hmac-sha2-256"},
		CompressionClientServer: []string{"none"}, CompressionServerClient: []string{"none"},
	}
	pad := newPadding([32]byte{})
	var out []byte
	out = append(out, "SSH-2.0-token\r\n"...)
	serverInit := sent.Append(nil)
	out = noneCipher{}.seal(0, out, serverInit, pad)
	nc.Write(out)
	r := newPacketReader(nc)
	if _, _, err := readVersion(r); err != nil {
		return
	}
	clientInit, err := noneCipher{}.open(0, r)
	if err != nil {
		return
	}
	in := &kexInput{clientKexInit: bytes.Clone(clientInit), serverKexInit: serverInit}
	for _, reply := range []byte{31, 32} {
		if _, err := (noneCipher{}).open(0, r); err != nil {
			return
		}
		nc.Write(noneCipher{}.seal(0, nil, []byte{reply}, pad))
	}
	nc.Write(noneCipher{}.seal(0, nil, []byte{wire.MsgNewKeys}, pad))
	if p, err := (noneCipher{}).open(0, r); err != nil || p[0] != wire.MsgNewKeys {
		return
	}
	H := tokenHash(in)
	res := &kexResult{H: H, K: tokenSecret, Hash: crypto.SHA256}
	algs := Algorithms{CipherOut: "aes128-gcm@openssh.com", CipherIn: "aes128-gcm@openssh.com"}
	// The server sends with the client's incoming keys.
	_, serverOut, err := newCiphers(algs, res, H)
	if err != nil {
		return
	}
	nc.Write(serverOut.seal(0, nil, wire.AppendText([]byte{wire.MsgServiceAccept}, "ssh-userauth"), pad))
	untilClosed(nc)
}

func TestKexSeamWithoutHostKey(t *testing.T) {
	kexMethods["token-test"] = tokenKex{}
	defer delete(kexMethods, "token-test")
	called := false
	addr := sshtest.ServeTCP(t, tokenServer)
	c, err := Client(t.Context(), dialT(t, addr), &Config{
		KexAlgorithms:     []string{"token-test"},
		HostKeyAlgorithms: []string{"null"},
		HostKeyCallback:   func(ssh.PublicKey) error { called = true; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if called {
		t.Error("host key callback called for a key exchange that authenticated the server itself")
	}
	if c.HostKey() != nil {
		t.Error("a host key where none was sent")
	}
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	if name, err := wire.ParseServiceAccept(p); err != nil || name != "ssh-userauth" {
		t.Fatalf("got %q, %v", name, err)
	}
}
