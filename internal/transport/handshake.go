package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
	"github.com/amiko-ssh/amiko/internal/zlib"
)

// Client runs the client side of the version exchange and the first key
// exchange over conn and returns the transport. ctx bounds only this
// handshake; cancelling it later does not affect the connection. On
// failure conn is left open for the caller to close.
func Client(ctx context.Context, conn net.Conn, cfg *Config) (*Conn, error) {
	c, err := newConn(conn, cfg)
	if err != nil {
		return nil, err
	}
	clock := newHandshakeClock(ctx, conn, cfg)
	c.clock = clock
	defer func() { c.clock, c.handshakeCtx = nil, nil }()
	err = c.clientHandshake(func(p string) {
		clock.enter(p)
		if p == "handshake" {
			c.handshakeCtx = clock.negotiationCtx
		}
	})
	if clock.stop() {
		return nil, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, clock.timeoutError()
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("ssh: connection closed by the server during the %s: %w", clock.phase, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// clientHandshake sends our version line and KEXINIT in one write without
// waiting for the server (RFC 4253 section 7 lets key exchange begin right
// after the version), then reads the server's version and runs the first
// key exchange. setPhase is told when the banner has arrived.
func (c *Conn) clientHandshake(setPhase func(string)) error {
	setPhase("banner")
	c.wmu.Lock()
	err := c.sendKexInitPrefixLocked(append(slices.Clip(c.clientVersion), '\r', '\n'))
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	version, preamble, err := readVersion(c.r)
	if err != nil {
		return err
	}
	c.serverVersion = version
	for _, l := range preamble {
		c.log.Debug("ssh: server line before its version", "line", l)
	}
	c.log.Debug("ssh: server version", "version", string(version))
	setPhase("handshake")
	for {
		p, err := c.readRawPacket()
		if err != nil {
			return err
		}
		switch p[0] {
		case wire.MsgKexInit:
			if err := c.runKex(p); err != nil {
				return err
			}
			return c.awaitExtInfo()
		case wire.MsgIgnore, wire.MsgDebug:
			continue // a strict kex server sends neither; runKex checks
		case wire.MsgDisconnect:
			return disconnectError(p)
		}
		return &ProtocolError{Reason: fmt.Sprintf("message %d before KEXINIT", p[0])}
	}
}

// awaitExtInfo reads the server's EXT_INFO when its KEXINIT announced
// one (RFC 8308 puts it right after the server's NEWKEYS, which came in
// the same flight as the key exchange reply, so this costs no round
// trip). Authentication then knows server-sig-algs and
// publickey-hostbound from its first request, and may send that request
// without waiting for SERVICE_ACCEPT. Any other packet is held for
// ReadPacket, which judges it as before.
func (c *Conn) awaitExtInfo() error {
	if !c.serverExtInfo {
		return nil
	}
	p, err := c.readRawPacket()
	if err != nil {
		return err
	}
	if p[0] != wire.MsgExtInfo {
		return c.hold(p)
	}
	c.extInfoState = extInfoBeforeSuccess
	return c.handleExtInfo(p)
}

// makeKexInit builds our KEXINIT. The extension markers go only into the
// first one (strict kex and RFC 8308 both say so).
func (c *Conn) makeKexInit(first bool) (*wire.KexInit, error) {
	m := &wire.KexInit{
		KexAlgos:                slices.Clone(orDefault(c.cfg.KexAlgorithms, DefaultKexAlgorithms)),
		HostKeyAlgos:            PreferHostKeyAlgorithms(orDefault(c.cfg.HostKeyAlgorithms, DefaultHostKeyAlgorithms), c.cfg.KnownHostKeyTypes),
		CiphersClientServer:     orDefault(c.cfg.Ciphers, DefaultCiphers),
		CiphersServerClient:     orDefault(c.cfg.Ciphers, DefaultCiphers),
		MACsClientServer:        orDefault(c.cfg.MACs, DefaultMACs),
		MACsServerClient:        orDefault(c.cfg.MACs, DefaultMACs),
		CompressionClientServer: orDefault(c.cfg.Compressions, DefaultCompressions),
		CompressionServerClient: orDefault(c.cfg.Compressions, DefaultCompressions),
	}
	if c.cfg.GSS != nil {
		names, err := gssKexNames(c.cfg.GSS)
		if err != nil {
			return nil, err
		}
		m.KexAlgos = append(names, m.KexAlgos...)
		// "null": no host key, for a server that has only GSS-API
		// (RFC 4462 section 5); last, so that a real one wins.
		m.HostKeyAlgos = append(slices.Clone(m.HostKeyAlgos), hostKeyNull)
	}
	if _, err := io.ReadFull(c.rand, m.Cookie[:]); err != nil {
		return nil, err
	}
	if first {
		m.KexAlgos = append(m.KexAlgos, extInfoClient, strictKexClient)
	}
	return m, nil
}

func (c *Conn) sendKexInitLocked() error { return c.sendKexInitPrefixLocked(nil) }

func (c *Conn) sendKexInitPrefixLocked(prefix []byte) error {
	if c.kexInitSent != nil {
		return nil
	}
	c.mu.Lock()
	first := c.kexCount == 0
	c.mu.Unlock()
	m, err := c.makeKexInit(first)
	if err != nil {
		return err
	}
	var guess []byte
	var rest kexRest
	if first {
		if guess, rest, err = c.startGuess(m); err != nil {
			return err
		}
	}
	payload := m.Append(nil)
	if err := c.writePacketsLocked(prefix, payload, guess); err != nil {
		return err
	}
	c.kexInitSent = &sentKexInit{msg: m, payload: payload, guess: rest}
	return nil
}

// startGuess makes the first message of our first kex method when
// c.cfg.KexGuesses expects the server to agree with our first choices,
// and marks m as followed by it. It returns nil when there is no guess
// to make.
func (c *Conn) startGuess(m *wire.KexInit) ([]byte, kexRest, error) {
	if !c.cfg.KexGuesses.shouldGuess(c.cfg.ServerName, m) {
		return nil, nil, nil
	}
	starter, ok := kexMethods[m.KexAlgos[0]].(kexStarter)
	if !ok {
		return nil, nil, nil
	}
	first, rest, err := starter.start(&kexInput{rand: c.rand})
	if err != nil {
		return nil, nil, err
	}
	m.FirstKexFollows = true
	c.guessSent = true
	c.log.Debug("ssh: sending a guessed kex packet", "kex", m.KexAlgos[0], "hostkey", m.HostKeyAlgos[0])
	return first, rest, nil
}

// runKex runs one key exchange, the server's KEXINIT (payload p) in hand.
// It runs in the reading goroutine.
func (c *Conn) runKex(p []byte) error {
	theirsRaw := bytes.Clone(p)
	theirs, err := wire.ParseKexInit(theirsRaw)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	err = c.sendKexInitLocked()
	ours := c.kexInitSent
	c.wmu.Unlock()
	if err != nil {
		return err
	}

	c.mu.Lock()
	first := c.kexCount == 0
	c.mu.Unlock()
	if first {
		c.serverExtInfo = slices.Contains(theirs.KexAlgos, "ext-info-s")
		strict := slices.Contains(theirs.KexAlgos, strictKexServer)
		if strict && c.packetsRead != 1 {
			return &ProtocolError{Reason: "strict key exchange: KEXINIT was not the server's first packet"}
		}
		c.mu.Lock()
		c.strict = strict
		c.mu.Unlock()
	}

	algs, err := negotiate(ours.msg, theirs)
	if err != nil {
		return err
	}
	c.log.Debug("ssh: negotiated", "kex", algs.Kex, "hostkey", algs.HostKey,
		"cipher_out", algs.CipherOut, "cipher_in", algs.CipherIn,
		"mac_out", algs.MACOut, "mac_in", algs.MACIn,
		"compression_out", algs.CompressionOut, "compression_in", algs.CompressionIn)

	kt := kexConn{c: c, first: first}
	if theirs.FirstKexFollows && !guessIsRight(ours.msg, theirs) {
		if _, err := kt.readPacket(); err != nil { // the server's wrong guess
			return err
		}
	}
	if first {
		c.cfg.KexGuesses.remember(c.cfg.ServerName, c.serverVersion, theirs)
	}
	ctx := c.handshakeCtx
	if ctx == nil {
		// A re-exchange is bounded as a handshake is.
		ctx = context.Background()
		if d := timeoutOrDefault(c.cfg.HandshakeTimeout, DefaultHandshakeTimeout); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
	}
	input := &kexInput{
		ctx:           ctx,
		clientVersion: c.clientVersion,
		serverVersion: c.serverVersion,
		clientKexInit: ours.payload,
		serverKexInit: theirsRaw,
		rand:          c.rand,
		gexMin:        2048, gexN: gexPreferredBits(algs), gexMax: 8192,
	}
	var res *kexResult
	if ours.guess != nil && guessIsRight(ours.msg, theirs) {
		// Both put this method first, so it is the one negotiated, and
		// the server takes our guessed message as its first.
		c.guessedRight = true
		res, err = ours.guess(kt, input)
	} else {
		// A wrong guess is ignored by the server; the method starts over.
		method, isGSS := gssKexMethod(algs.Kex, c.cfg.GSS)
		if !isGSS {
			method = kexMethods[algs.Kex]
		}
		res, err = method.run(kt, input)
	}
	if err != nil {
		return err
	}
	key, err := c.verifyHostKey(algs.HostKey, res, first)
	if err != nil {
		return err
	}

	c.mu.Lock()
	if first {
		c.sessionID = res.H
		c.hostKey = key
		c.hostKeyBlob = bytes.Clone(res.HostKey)
		c.gssContext = res.gssContext
	} else if res.gssContext != nil {
		// Only the first exchange's context signs gssapi-keyex.
		res.gssContext.Close()
	}
	sessionID := c.sessionID
	c.mu.Unlock()

	out, in, err := newCiphers(algs, res, sessionID)
	if err != nil {
		return err
	}
	if err := c.sendNewKeys(out, algs); err != nil {
		return err
	}
	nk, err := kt.readPacket()
	if err != nil {
		return err
	}
	if len(nk) != 1 || nk[0] != wire.MsgNewKeys {
		return &ProtocolError{Reason: fmt.Sprintf("got message %d instead of NEWKEYS", nk[0])}
	}
	c.in.cipher = in
	if c.strict {
		c.in.seq = 0
	}
	c.in.bytes, c.in.packets = 0, 0
	c.in.rekeyLimit = rekeyLimit(c.cfg.RekeyBytes, algs.CipherIn)
	c.in.compression, c.in.compressing = algs.CompressionIn, false
	c.mu.Lock()
	authenticated := c.authenticated
	c.algs = algs
	c.kexCount++
	c.lastKex = time.Now()
	c.mu.Unlock()
	// Both zlib streams start afresh at every NEWKEYS that keeps
	// compression on, as OpenSSH's ssh_set_newkeys does.
	if algs.CompressionIn == compressionZlib || (algs.CompressionIn == compressionDelayed && authenticated) {
		c.startInflate()
	}
	if first {
		c.extInfoState = extInfoAfterNewKeys
	}
	return nil
}

// sendNewKeys sends NEWKEYS under the old keys, switches the write side
// to the new ones, and sends what was queued meanwhile.
func (c *Conn) sendNewKeys(out packetCipher, algs Algorithms) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writePacketLocked(nil, []byte{wire.MsgNewKeys}); err != nil {
		return err
	}
	c.out.cipher = out
	c.mu.Lock()
	if c.strict {
		c.out.seq = 0
	}
	authenticated := c.authenticated
	c.mu.Unlock()
	c.out.bytes, c.out.packets = 0, 0
	c.out.rekeyLimit = rekeyLimit(c.cfg.RekeyBytes, algs.CipherOut)
	c.out.compression, c.out.compressing = algs.CompressionOut, false
	if algs.CompressionOut == compressionZlib || (algs.CompressionOut == compressionDelayed && authenticated) {
		c.startDeflateLocked()
	}
	c.kexInitSent = nil
	return c.flushQueuedLocked()
}

func (c *Conn) startInflate() {
	if c.inflater == nil {
		c.inflater = zlib.NewInflater()
	} else {
		c.inflater.Reset()
	}
	c.in.compressing = true
}

func (c *Conn) startDeflateLocked() {
	if c.deflater == nil {
		c.deflater = zlib.NewDeflater(6) // OpenSSH's level
	} else {
		c.deflater.Reset()
	}
	c.out.compressing = true
}

// rekeyLimit returns the bytes one direction may carry under one key:
// configured, or OpenSSH's default for the cipher (RFC 4344: 2^(L/4)
// blocks for L-bit blocks; 1 GiB for 8-byte blocks).
func rekeyLimit(configured uint64, cipherName string) uint64 {
	if configured != 0 {
		return configured
	}
	if bs := cipherModes[cipherName].blockSize; bs >= 16 {
		return uint64(1<<32) * uint64(bs)
	}
	return 1 << 30
}

// gexPreferredBits is the group size to ask for in a group exchange, as
// OpenSSH chooses it: enough for the cipher's strength, at least 2048.
func gexPreferredBits(algs Algorithms) uint32 {
	key := max(cipherModes[algs.CipherOut].keySize, cipherModes[algs.CipherIn].keySize)
	switch {
	case key >= 32:
		return 8192
	case key >= 24:
		return 7680
	}
	return 3072
}

// newCiphers derives the keys of RFC 4253 section 7.2 and builds both
// directions' ciphers.
func newCiphers(algs Algorithms, res *kexResult, sessionID []byte) (out, in packetCipher, err error) {
	build := func(cipherName, macName string, ivLetter, keyLetter, macLetter byte) (packetCipher, error) {
		mode := cipherModes[cipherName]
		iv := deriveKey(res.Hash, res.K, res.H, ivLetter, sessionID, mode.ivSize)
		key := deriveKey(res.Hash, res.K, res.H, keyLetter, sessionID, mode.keySize)
		var mac *macMode
		var macKey []byte
		if !mode.aead {
			mac = macModes[macName]
			macKey = deriveKey(res.Hash, res.K, res.H, macLetter, sessionID, mac.keySize)
		}
		return mode.new(key, iv, mac, macKey)
	}
	if out, err = build(algs.CipherOut, algs.MACOut, 'A', 'C', 'E'); err != nil {
		return nil, nil, err
	}
	if in, err = build(algs.CipherIn, algs.MACIn, 'B', 'D', 'F'); err != nil {
		return nil, nil, err
	}
	return out, in, nil
}

// verifyHostKey checks the server's signature over the exchange hash with
// the key it sent, that key and signature are of the negotiated algorithm
// (an RSA key signing with ssh-rsa after rsa-sha2-512 was agreed is a
// downgrade), and then asks the callback whether to trust the key (first
// exchange) or that the key did not change (rekey).
func (c *Conn) verifyHostKey(alg string, res *kexResult, first bool) (ssh.PublicKey, error) {
	if res.serverAuthenticated {
		if len(res.HostKey) == 0 {
			return nil, nil
		}
		key, err := ssh.ParsePublicKey(res.HostKey)
		if err != nil {
			return nil, &HostKeyError{Reason: "cannot parse the server's host key: " + err.Error()}
		}
		return key, nil
	}
	if alg == hostKeyNull {
		// Only a method that authenticates the server itself may go
		// without a host key.
		return nil, &HostKeyError{Reason: "the null host key algorithm was negotiated for a key exchange that does not authenticate the server"}
	}
	key, err := ssh.ParsePublicKey(res.HostKey)
	if err != nil {
		return nil, &HostKeyError{Reason: "cannot parse the server's host key: " + err.Error()}
	}
	keyType, sigFormat := hostKeyFormats(alg)
	if key.Type() != keyType {
		return nil, &HostKeyError{Reason: fmt.Sprintf("server sent a %s key after %s was negotiated", key.Type(), alg)}
	}
	sig, err := wire.ParseSignature(res.Signature)
	if err != nil {
		return nil, &HostKeyError{Reason: err.Error()}
	}
	if sig.Format != sigFormat {
		return nil, &HostKeyError{Reason: fmt.Sprintf("server signed with %s after %s was negotiated", sig.Format, alg)}
	}
	if err := key.Verify(res.H, &ssh.Signature{Format: sig.Format, Blob: sig.Blob}); err != nil {
		return nil, &HostKeyError{Reason: "signature over the exchange hash does not verify: " + err.Error()}
	}
	if !first {
		c.mu.Lock()
		same := bytes.Equal(c.hostKeyBlob, res.HostKey)
		c.mu.Unlock()
		if !same {
			return nil, &HostKeyError{Reason: "server presented a different host key on rekey"}
		}
		return key, nil
	}
	if err := c.callHostKeyCallback(key); err != nil {
		return nil, err
	}
	// Called once: a rekey compares the key itself. What the callback
	// holds (the caller's client, context, names) need not live as long
	// as the connection, nor the first exchange's guess memory.
	c.cfg.HostKeyCallback = nil
	c.cfg.KexGuesses, c.cfg.ServerName = nil, ""
	return key, nil
}

// hostKeyFormats maps a host key algorithm to the key type it names and
// the signature format it signs with.
func hostKeyFormats(alg string) (keyType, sigFormat string) {
	const certSuffix = "-cert-v01@openssh.com"
	base, isCert := strings.CutSuffix(alg, certSuffix)
	keyType, sigFormat = alg, base
	if base == ssh.KeyAlgoRSASHA256 || base == ssh.KeyAlgoRSASHA512 {
		keyType = ssh.KeyAlgoRSA
		if isCert {
			keyType = ssh.CertAlgoRSAv01
		}
	}
	return keyType, sigFormat
}

// kexConn is the kexTransport a method runs over: kex messages only.
type kexConn struct {
	c     *Conn
	first bool
}

func (k kexConn) writePacket(p []byte) error {
	k.c.wmu.Lock()
	defer k.c.wmu.Unlock()
	return k.c.writePacketLocked(nil, p)
}

func (k kexConn) readPacket() ([]byte, error) {
	for {
		p, err := k.c.readRawPacket()
		if err != nil {
			return nil, err
		}
		switch {
		case p[0] == wire.MsgDisconnect:
			return nil, disconnectError(p)
		case wire.IsKex(p[0]) && p[0] != wire.MsgKexInit:
			return p, nil
		case k.first && k.c.strict:
			return nil, &ProtocolError{Reason: fmt.Sprintf("strict key exchange: unexpected message %d during the first key exchange", p[0])}
		case p[0] == wire.MsgIgnore || p[0] == wire.MsgDebug || p[0] == wire.MsgUnimplemented:
			continue
		case !k.first && p[0] >= wire.MsgUserauthRequest:
			// RFC 4253 section 7.1 forbids this after the peer's KEXINIT,
			// but some servers (asyncssh 2.10) send the packet that
			// triggered their rekey right after it. OpenSSH processes such
			// messages; holding them keeps the stream whole.
			if err := k.c.hold(p); err != nil {
				return nil, err
			}
			continue
		}
		return nil, &ProtocolError{Reason: fmt.Sprintf("unexpected message %d during key exchange", p[0])}
	}
}
