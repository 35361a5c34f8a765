package transport

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// This file checks the kex methods against golang.org/x/crypto/ssh's
// server, in-process over loopback TCP, and records the known-answer
// vector for mlkem768x25519-sha256, which neither asyncssh 2.10 nor
// paramiko 2.12 implements:
//
//	go test ./internal/transport -run TestKexGenerateMLKEMVector -kex.update-mlkem
//
// The harness is a minimal SSH client of its own (plaintext packets, then
// aes128-ctr with hmac-sha2-256, keys derived by its own few lines of RFC
// 4253 section 7.2): a handshake proves K and H right only if
// x/crypto/ssh then accepts the client's encrypted packets, answers with
// packets the client can decrypt and verify, and reports H as its
// session id.

var kexUpdateMLKEM = flag.Bool("kex.update-mlkem", false, "rewrite testdata/kex/kat_mlkem.json from golang.org/x/crypto/ssh")

// kexXCryptoHostSeed fixes the Ed25519 host key of the x/crypto/ssh server.
var kexXCryptoHostSeed = sha256.Sum256([]byte("amiko kex x/crypto host key"))

// TestKexInteropXCrypto runs each of our methods that x/crypto/ssh
// implements against its server through to an authenticated session.
func TestKexInteropXCrypto(t *testing.T) {
	supported := append(ssh.SupportedAlgorithms().KeyExchanges, ssh.InsecureAlgorithms().KeyExchanges...)
	tried := 0
	for name, m := range kexMethods {
		if !slices.Contains(supported, name) && name != "curve25519-sha256@libssh.org" {
			continue // diffie-hellman-group18-sha512
		}
		tried++
		t.Run(name, func(t *testing.T) {
			for i := range 2 {
				in := &kexInput{rand: &kexStream{n: byte(i)}}
				hs, err := kexHandshakeXCrypto(t, name, m, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(hs.sessionID, hs.res.H) {
					t.Fatalf("x/crypto/ssh's session id %x, our H %x", hs.sessionID, hs.res.H)
				}
				// And our key derivation agrees with the harness's.
				for _, letter := range "ABCDEF" {
					if got, want := deriveKey(hs.res.Hash, hs.res.K, hs.res.H, byte(letter), hs.res.H, 100),
						kexSpecKDF(hs.res.Hash.New, hs.res.K, hs.res.H, byte(letter), hs.res.H, 100); !bytes.Equal(got, want) {
						t.Errorf("deriveKey %c: %x, want %x", letter, got, want)
					}
				}
			}
		})
	}
	if tried < len(kexMethods)-1 {
		t.Errorf("only %d of %d methods run against x/crypto/ssh", tried, len(kexMethods))
	}
}

// kexXCryptoResult is what a handshake against x/crypto/ssh yields.
type kexXCryptoResult struct {
	res           *kexResult
	sessionID     []byte // x/crypto/ssh's, after authentication
	clientVersion []byte
	serverVersion []byte
	clientKexInit []byte
	serverKexInit []byte
	clientMsgs    [][]byte
	serverMsgs    [][]byte
	keys          map[byte][]byte // A..F, 128 bytes each, by kexSpecKDF
}

// kexHandshakeXCrypto connects m to an x/crypto/ssh server offering only
// method name, then authenticates ("none") over the new keys.
func kexHandshakeXCrypto(t *testing.T, name string, m kexMethod, in *kexInput, serverRand io.Reader) (*kexXCryptoResult, error) {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(kexXCryptoHostSeed[:]))
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	cfg.KeyExchanges = []string{name}
	cfg.Ciphers = []string{"aes128-ctr"}
	cfg.MACs = []string{"hmac-sha2-256"}
	cfg.Rand = serverRand
	cfg.AddHostKey(signer)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	type served struct {
		sid []byte
		err error
	}
	done := make(chan served, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- served{err: err}
			return
		}
		defer c.Close()
		sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			done <- served{err: err}
			return
		}
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				ch.Reject(ssh.Prohibited, "")
			}
		}()
		done <- served{sid: bytes.Clone(sc.SessionID())}
		sc.Wait()
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := &kexTestClient{conn: conn, r: bufio.NewReader(conn)}
	out := &kexXCryptoResult{keys: map[byte][]byte{}}
	fail := func(err error) (*kexXCryptoResult, error) {
		conn.Close()
		if s := <-done; s.err != nil {
			return nil, fmt.Errorf("%w (server: %v)", err, s.err)
		}
		return nil, err
	}

	// Version exchange and KEXINIT, in plaintext.
	in.clientVersion = []byte("SSH-2.0-amiko_kex_test")
	if _, err := fmt.Fprintf(conn, "%s\r\n", in.clientVersion); err != nil {
		return fail(err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return fail(err)
	}
	in.serverVersion = []byte(strings.TrimRight(line, "\r\n"))
	ki := &wire.KexInit{
		KexAlgos:                []string{name},
		HostKeyAlgos:            []string{ssh.KeyAlgoED25519},
		CiphersClientServer:     []string{"aes128-ctr"},
		CiphersServerClient:     []string{"aes128-ctr"},
		MACsClientServer:        []string{"hmac-sha2-256"},
		MACsServerClient:        []string{"hmac-sha2-256"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}
	copy(ki.Cookie[:], "amiko kex cookie")
	in.clientKexInit = ki.Append(nil)
	if err := c.writePacket(in.clientKexInit); err != nil {
		return fail(err)
	}
	if in.serverKexInit, err = c.readPacket(); err != nil {
		return fail(err)
	}
	in.serverKexInit = bytes.Clone(in.serverKexInit)
	if _, err := wire.ParseKexInit(in.serverKexInit); err != nil {
		return fail(err)
	}

	// The method under test.
	rec := &kexRecorder{c: c}
	res, err := m.run(rec, in)
	if err != nil {
		return fail(err)
	}
	if err := c.writePacket([]byte{wire.MsgNewKeys}); err != nil {
		return fail(err)
	}
	if p, err := c.readPacket(); err != nil || len(p) != 1 || p[0] != wire.MsgNewKeys {
		return fail(fmt.Errorf("want NEWKEYS, got %x, %v", p, err))
	}
	for _, letter := range []byte("ABCDEF") {
		out.keys[letter] = kexSpecKDF(res.Hash.New, res.K, res.H, letter, res.H, 128)
	}
	if err := c.startEncryption(out.keys); err != nil {
		return fail(err)
	}

	// Encrypted: service request, then "none" authentication, which the
	// server (NoClientAuth) accepts.
	if err := c.writePacket(wire.AppendServiceRequest(nil, "ssh-userauth")); err != nil {
		return fail(err)
	}
	p, err := c.readPacket()
	if err != nil {
		return fail(fmt.Errorf("after NEWKEYS: %w", err))
	}
	if svc, err := wire.ParseServiceAccept(p); err != nil || svc != "ssh-userauth" {
		return fail(fmt.Errorf("want SERVICE_ACCEPT, got %x", p))
	}
	auth := []byte{wire.MsgUserauthRequest}
	auth = wire.AppendText(auth, "kat")
	auth = wire.AppendText(auth, "ssh-connection")
	auth = wire.AppendText(auth, "none")
	if err := c.writePacket(auth); err != nil {
		return fail(err)
	}
	if p, err = c.readPacket(); err != nil || len(p) == 0 || p[0] != wire.MsgUserauthSuccess {
		return fail(fmt.Errorf("want USERAUTH_SUCCESS, got %x, %v", p, err))
	}
	s := <-done
	if s.err != nil {
		return nil, s.err
	}
	out.res = res
	out.sessionID = s.sid
	out.clientVersion, out.serverVersion = in.clientVersion, in.serverVersion
	out.clientKexInit, out.serverKexInit = in.clientKexInit, in.serverKexInit
	out.clientMsgs, out.serverMsgs = rec.sent, rec.received
	return out, nil
}

// kexRecorder is the kexTransport of the harness; it keeps copies of the
// kex messages.
type kexRecorder struct {
	c        *kexTestClient
	sent     [][]byte
	received [][]byte
}

func (r *kexRecorder) writePacket(p []byte) error {
	r.sent = append(r.sent, bytes.Clone(p))
	return r.c.writePacket(p)
}

func (r *kexRecorder) readPacket() ([]byte, error) {
	p, err := r.c.readPacket()
	if err == nil {
		r.received = append(r.received, bytes.Clone(p))
	}
	return p, err
}

// kexTestClient is the harness's packet layer (RFC 4253 section 6):
// plaintext, then aes128-ctr and hmac-sha2-256.
type kexTestClient struct {
	conn             net.Conn
	r                *bufio.Reader
	seqOut, seqIn    uint32
	encOut, encIn    cipher.Stream
	macOut, macIn    hash.Hash
	encrypted        bool
	paddingFillerVal byte
}

func (c *kexTestClient) startEncryption(keys map[byte][]byte) error {
	newCTR := func(key, iv []byte) (cipher.Stream, error) {
		b, err := aes.NewCipher(key[:16])
		if err != nil {
			return nil, err
		}
		return cipher.NewCTR(b, iv[:16]), nil
	}
	var err error
	if c.encOut, err = newCTR(keys['C'], keys['A']); err != nil {
		return err
	}
	if c.encIn, err = newCTR(keys['D'], keys['B']); err != nil {
		return err
	}
	c.macOut = hmac.New(sha256.New, keys['E'][:32])
	c.macIn = hmac.New(sha256.New, keys['F'][:32])
	c.encrypted = true
	return nil
}

func (c *kexTestClient) writePacket(payload []byte) error {
	block := 8
	if c.encrypted {
		block = 16
	}
	padLen := block - (5+len(payload))%block
	if padLen < 4 {
		padLen += block
	}
	pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+padLen))
	pkt = append(pkt, byte(padLen))
	pkt = append(pkt, payload...)
	for range padLen {
		c.paddingFillerVal++
		pkt = append(pkt, c.paddingFillerVal)
	}
	if c.encrypted {
		c.macOut.Reset()
		c.macOut.Write(binary.BigEndian.AppendUint32(nil, c.seqOut))
		c.macOut.Write(pkt)
		mac := c.macOut.Sum(nil)
		c.encOut.XORKeyStream(pkt, pkt)
		pkt = append(pkt, mac...)
	}
	c.seqOut++
	_, err := c.conn.Write(pkt)
	return err
}

func (c *kexTestClient) readPacket() ([]byte, error) {
	for {
		p, err := c.readOnePacket()
		if err != nil {
			return nil, err
		}
		if len(p) > 0 && (p[0] == wire.MsgIgnore || p[0] == wire.MsgDebug) {
			continue
		}
		if len(p) > 0 && p[0] == wire.MsgDisconnect {
			d, _ := wire.ParseDisconnect(p)
			return nil, fmt.Errorf("server disconnected: %+v", d)
		}
		return p, nil
	}
}

func (c *kexTestClient) readOnePacket() ([]byte, error) {
	first := make([]byte, 16)
	n := 8
	if c.encrypted {
		n = 16
	}
	first = first[:n]
	if _, err := io.ReadFull(c.r, first); err != nil {
		return nil, err
	}
	if c.encrypted {
		c.encIn.XORKeyStream(first, first)
	}
	length := binary.BigEndian.Uint32(first)
	if length < 5 || length > 1<<18 || (4+int(length))%n != 0 {
		return nil, fmt.Errorf("bad packet length %d", length)
	}
	pkt := make([]byte, 4+int(length))
	copy(pkt, first)
	if _, err := io.ReadFull(c.r, pkt[n:]); err != nil {
		return nil, err
	}
	if c.encrypted {
		c.encIn.XORKeyStream(pkt[n:], pkt[n:])
		mac := make([]byte, sha256.Size)
		if _, err := io.ReadFull(c.r, mac); err != nil {
			return nil, err
		}
		c.macIn.Reset()
		c.macIn.Write(binary.BigEndian.AppendUint32(nil, c.seqIn))
		c.macIn.Write(pkt)
		if !hmac.Equal(mac, c.macIn.Sum(nil)) {
			return nil, errors.New("MAC mismatch: keys differ from the server's")
		}
	}
	c.seqIn++
	padLen := int(pkt[4])
	if 5+padLen > len(pkt) {
		return nil, errors.New("bad padding length")
	}
	return pkt[5 : len(pkt)-padLen], nil
}

// kexSpecKDF is RFC 4253 section 7.2, written out again for the harness:
// K1 = HASH(K || H || X || session_id), Kn = HASH(K || H || K1 || ... ).
func kexSpecKDF(newHash func() hash.Hash, K, H []byte, x byte, sessionID []byte, n int) []byte {
	h := newHash()
	h.Write(K)
	h.Write(H)
	h.Write([]byte{x})
	h.Write(sessionID)
	key := h.Sum(nil)
	for len(key) < n {
		h = newHash()
		h.Write(K)
		h.Write(H)
		h.Write(key)
		key = append(key, h.Sum(nil)...)
	}
	return key[:n]
}

// kexSpecMLKEM is mlkem768x25519-sha256 written straight from
// draft-ietf-sshm-mlkem-hybrid-kex with crypto/mlkem and crypto/ecdh,
// independently of kex_mlkem.go, for producing the vector.
type kexSpecMLKEM struct {
	rand []byte // 32 bytes of X25519 scalar, then the 64-byte ML-KEM seed
}

func (s *kexSpecMLKEM) run(t kexTransport, in *kexInput) (*kexResult, error) {
	x, err := ecdh.X25519().NewPrivateKey(s.rand[:32])
	if err != nil {
		return nil, err
	}
	dk, err := mlkem.NewDecapsulationKey768(s.rand[32:96])
	if err != nil {
		return nil, err
	}
	cInit := append(dk.EncapsulationKey().Bytes(), x.PublicKey().Bytes()...)
	if err := t.writePacket(append([]byte{30}, kexSpecString(cInit)...)); err != nil {
		return nil, err
	}
	p, err := t.readPacket()
	if err != nil {
		return nil, err
	}
	// byte 31, string K_S, string S_REPLY, string signature.
	if len(p) == 0 || p[0] != 31 {
		return nil, fmt.Errorf("unexpected reply %x", p)
	}
	rest := p[1:]
	var fields [3][]byte
	for i := range fields {
		if len(rest) < 4 || uint64(len(rest)-4) < uint64(binary.BigEndian.Uint32(rest)) {
			return nil, errors.New("short reply")
		}
		n := binary.BigEndian.Uint32(rest)
		fields[i], rest = bytes.Clone(rest[4:4+n]), rest[4+n:]
	}
	hostKey, sReply, sig := fields[0], fields[1], fields[2]
	if len(sReply) != 1088+32 {
		return nil, errors.New("S_REPLY length")
	}
	kemSecret, err := dk.Decapsulate(sReply[:1088])
	if err != nil {
		return nil, err
	}
	sx, err := ecdh.X25519().NewPublicKey(sReply[1088:])
	if err != nil {
		return nil, err
	}
	xSecret, err := x.ECDH(sx)
	if err != nil {
		return nil, err
	}
	k := sha256.Sum256(append(kemSecret, xSecret...))
	K := kexSpecString(k[:])
	h := sha256.New()
	for _, v := range [][]byte{in.clientVersion, in.serverVersion, in.clientKexInit, in.serverKexInit, hostKey, cInit, sReply} {
		h.Write(kexSpecString(v))
	}
	h.Write(K)
	return &kexResult{H: h.Sum(nil), K: K, HostKey: hostKey, Signature: sig, Hash: crypto.SHA256}, nil
}

func kexSpecString(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// TestKexGenerateMLKEMVector rewrites testdata/kex/kat_mlkem.json when run
// with -kex.update-mlkem. The client values are fixed; the server's come
// from fixed streams (its X25519 scalar from ServerConfig.Rand, its ML-KEM
// encapsulation randomness from cryptotest.SetGlobalRandom).
func TestKexGenerateMLKEMVector(t *testing.T) {
	if !*kexUpdateMLKEM {
		t.Skip("run with -kex.update-mlkem to regenerate testdata/kex/kat_mlkem.json")
	}
	cryptotest.SetGlobalRandom(t, 0x616d696b6f)
	seed := sha256.Sum256([]byte("amiko kex kat: mlkem768x25519-sha256 client"))
	clientRand := kexSpecKDF(sha256.New, seed[:], nil, 'x', nil, 96)
	spec := &kexSpecMLKEM{rand: clientRand}
	hs, err := kexHandshakeXCrypto(t, mlkem768x25519Name, spec, &kexInput{}, &kexStream{n: 42})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hs.sessionID, hs.res.H) {
		t.Fatalf("x/crypto/ssh's session id %x, spec H %x", hs.sessionID, hs.res.H)
	}
	v := kexVector{
		Method:         mlkem768x25519Name,
		Source:         "golang.org/x/crypto/ssh v0.58.0 server; client values by kexSpecMLKEM (crypto/mlkem, crypto/ecdh)",
		ConfirmedBy:    []string{"x/crypto/ssh session id equals H; x/crypto/ssh accepted and sent packets under keys A..F"},
		ClientVersion:  string(hs.clientVersion),
		ServerVersion:  string(hs.serverVersion),
		ClientKexInit:  hs.clientKexInit,
		ServerKexInit:  hs.serverKexInit,
		ClientRand:     clientRand,
		HostKey:        hs.res.HostKey,
		Signature:      hs.res.Signature,
		K:              hs.res.K,
		H:              hs.res.H,
		Keys:           map[string]kexHex{},
		ClientMessages: []kexHex{hs.clientMsgs[0]},
		ServerMessages: []kexHex{hs.serverMsgs[0]},
	}
	for letter, key := range hs.keys {
		v.Keys[string(letter)] = key
	}
	f := kexVectorFile{
		Comment: "Generated by TestKexGenerateMLKEMVector (kex_xcrypto_test.go) against golang.org/x/crypto/ssh; do not edit. " +
			"client_rand is the X25519 scalar then the ML-KEM-768 seed.",
		HostKeySeed: kexXCryptoHostSeed[:],
		KeyLength:   128,
		Vectors:     []kexVector{v},
	}
	b, err := json.MarshalIndent(&f, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "kex", "kat_mlkem.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
