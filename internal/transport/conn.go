package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/amiko-ssh/amiko/gssapi"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
	"github.com/amiko-ssh/amiko/internal/zlib"
)

// Conn is an SSH transport connection on the client side: an encrypted,
// authenticated, possibly compressed stream of messages (RFC 4253) that
// re-keys itself as traffic flows.
//
// One goroutine reads (ReadPacket) and any number write (WritePacket).
// Key exchanges run inside ReadPacket: the reader answers the server's
// KEXINIT, or completes one that a writer started when the rekey limit
// was reached. Messages written between our KEXINIT and NEWKEYS are
// queued and sent under the new keys; incoming messages keep flowing
// until the server's own KEXINIT.
type Conn struct {
	conn net.Conn
	cfg  Config
	log  *slog.Logger
	rand io.Reader

	clientVersion []byte
	serverVersion []byte

	// The read side belongs to the goroutine in ReadPacket.
	r            *packetReader
	in           direction
	inflater     *zlib.Inflater
	inflateBuf   []byte
	readErr      error
	packetsRead  uint64
	extInfoState extInfoState
	// held keeps connection messages that arrived during a re-exchange,
	// to be returned once it is done; heldBytes bounds them.
	held      []heldPacket
	heldBytes int
	// serverExtInfo: the server's first KEXINIT announced EXT_INFO.
	serverExtInfo bool
	// lastSeq is the sequence number of the packet ReadPacket returned
	// last, for an UNIMPLEMENTED reply.
	lastSeq uint32
	// handshakeCtx is Client's context, within the handshake timeout,
	// while the first key exchange runs: for what a method does beyond
	// the connection.
	handshakeCtx context.Context
	// clock keeps the deadlines while Client runs; nil after.
	clock *handshakeClock

	// The write side is guarded by wmu.
	wmu         sync.Mutex
	out         direction
	deflater    *zlib.Deflater
	deflateBuf  []byte
	pad         *padding
	kexInitSent *sentKexInit // non-nil from our KEXINIT to our NEWKEYS
	// queued holds messages written during a key exchange, to be sent
	// under the new keys right after our NEWKEYS; queuedEnds marks where
	// each ends. Both are reused, so a key exchange allocates nothing.
	queued     []byte
	queuedEnds []int
	writeErr   error

	// What the handshake learned, readable from any goroutine.
	mu            sync.Mutex
	sessionID     []byte
	algs          Algorithms
	hostKey       ssh.PublicKey
	hostKeyBlob   []byte
	gssContext    gssapi.Context // of a first GSS-API key exchange
	extensions    []wire.Extension
	strict        bool
	guessSent     bool // our first KEXINIT was followed by a guess
	guessedRight  bool // and the guess was right
	kexCount      int
	lastKex       time.Time
	authenticated bool
}

// direction is one direction's packet state.
type direction struct {
	cipher     packetCipher
	seq        uint32
	bytes      uint64 // on the wire since the last NEWKEYS
	packets    uint64
	rekeyLimit uint64
	// compression is the negotiated method; compressing says whether it
	// is switched on (zlib@openssh.com waits for USERAUTH_SUCCESS).
	compression string
	compressing bool
}

type sentKexInit struct {
	msg     *wire.KexInit
	payload []byte
	// guess is the rest of the method whose first message followed the
	// KEXINIT as a guess, nil when none did.
	guess kexRest
}

// extInfoState tracks where RFC 8308 allows SSH_MSG_EXT_INFO: as the
// first packet after the first NEWKEYS, and right before USERAUTH_SUCCESS.
type extInfoState uint8

const (
	extInfoAfterNewKeys  extInfoState = iota // next packet may be EXT_INFO
	extInfoBeforeSuccess                     // may come before USERAUTH_SUCCESS
	extInfoMustBeSuccess                     // one came: USERAUTH_SUCCESS must follow
	extInfoNever
)

// maxPacketsPerKey bounds packets under one key (RFC 4344 section 3.1).
const maxPacketsPerKey = 1 << 31

func newConn(conn net.Conn, cfg *Config) (*Conn, error) {
	if cfg.HostKeyCallback == nil {
		return nil, errors.New("ssh: Config.HostKeyCallback is nil")
	}
	c := &Conn{conn: conn, cfg: *cfg, r: newPacketReader(newSocketReader(conn))}
	c.rand = cfg.Rand
	if c.rand == nil {
		c.rand = rand.Reader
	}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = discardLogger
	}
	c.pad = runtimePadding
	if cfg.Rand != nil {
		// A caller's source of randomness (a test's, to replay a
		// connection) seeds the padding too.
		var seed [32]byte
		if _, err := io.ReadFull(c.rand, seed[:]); err != nil {
			return nil, err
		}
		c.pad = newPadding(seed)
	}
	sw := cfg.SoftwareVersion
	if sw == "" {
		sw = "amiko_" + Version
	}
	c.clientVersion = []byte("SSH-2.0-" + SoftwareVersion(sw))
	c.in.cipher, c.out.cipher = noneCipher{}, noneCipher{}
	c.in.rekeyLimit, c.out.rekeyLimit = ^uint64(0), ^uint64(0)
	return c, nil
}

// ReadPacket returns the next message from the server, message number
// first. Transport messages (key exchange, IGNORE, DEBUG, UNIMPLEMENTED,
// EXT_INFO) are handled here and not returned; DISCONNECT ends the
// connection with a *DisconnectError. The payload is valid until the next
// call. Only one goroutine may call ReadPacket at a time.
func (c *Conn) ReadPacket() ([]byte, error) {
	if c.readErr != nil {
		return nil, c.readErr
	}
	for {
		if len(c.held) == 0 {
			// The last payload is dead: wait for the next without a
			// buffer if none has come yet.
			if err := c.r.fillIdle(); err != nil {
				return nil, c.fail(err)
			}
		}
		p, err := c.nextPacket()
		if err != nil {
			return nil, c.fail(err)
		}
		if c.extInfoState == extInfoAfterNewKeys {
			c.extInfoState = extInfoBeforeSuccess
			if p[0] == wire.MsgExtInfo {
				if err := c.handleExtInfo(p); err != nil {
					return nil, c.fail(err)
				}
				continue
			}
		}
		switch p[0] {
		case wire.MsgKexInit:
			if err := c.runKex(p); err != nil {
				return nil, c.fail(err)
			}
			continue
		case wire.MsgIgnore, wire.MsgUnimplemented:
			continue
		case wire.MsgDebug:
			if d, err := wire.ParseDebug(p); err == nil {
				c.log.Debug("ssh: server debug message", "message", d.Message)
			}
			continue
		case wire.MsgDisconnect:
			return nil, c.fail(disconnectError(p))
		case wire.MsgExtInfo:
			if c.extInfoState != extInfoBeforeSuccess {
				return nil, c.fail(&ProtocolError{Reason: "EXT_INFO where RFC 8308 does not allow it"})
			}
			if err := c.handleExtInfo(p); err != nil {
				return nil, c.fail(err)
			}
			c.extInfoState = extInfoMustBeSuccess
			continue
		case wire.MsgUserauthSuccess:
			c.authenticatedNow()
		}
		if wire.IsKex(p[0]) {
			return nil, c.fail(&ProtocolError{Reason: fmt.Sprintf("key exchange message %d outside a key exchange", p[0])})
		}
		if c.extInfoState == extInfoMustBeSuccess && p[0] != wire.MsgUserauthSuccess {
			return nil, c.fail(&ProtocolError{Reason: "EXT_INFO not followed by USERAUTH_SUCCESS"})
		}
		if c.in.bytes >= c.in.rekeyLimit || c.in.packets >= maxPacketsPerKey || c.rekeyDue() {
			if err := c.requestKex(); err != nil {
				return nil, c.fail(err)
			}
		}
		return p, nil
	}
}

// nextPacket returns a held message if there is one, else the next packet.
func (c *Conn) nextPacket() ([]byte, error) {
	if len(c.held) > 0 {
		h := c.held[0]
		c.held[0] = heldPacket{}
		c.held = c.held[1:]
		c.heldBytes -= len(h.p)
		c.lastSeq = h.seq
		return h.p, nil
	}
	c.lastSeq = c.in.seq
	return c.readRawPacket()
}

// heldPacket is a message kept during a re-exchange, with its sequence
// number.
type heldPacket struct {
	p   []byte
	seq uint32
}

// GSSContext returns the GSS-API context of the first key exchange when
// it was a GSS-API one, for gssapi-keyex authentication; nil otherwise.
func (c *Conn) GSSContext() gssapi.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gssContext
}

// DropGSSContext releases the GSS-API context of the first key exchange
// once gssapi-keyex no longer needs it: after authentication, or when the
// connection closes.
func (c *Conn) DropGSSContext() {
	c.mu.Lock()
	g := c.gssContext
	c.gssContext = nil
	c.mu.Unlock()
	if g != nil {
		g.Close()
	}
}

// LastSeq returns the sequence number of the packet ReadPacket returned
// last: the one an SSH_MSG_UNIMPLEMENTED for it names.
func (c *Conn) LastSeq() uint32 { return c.lastSeq }

// maxHeld bounds what a peer may send during a re-exchange: flow control
// should keep it far below this.
const maxHeld = 16 << 20

// hold keeps a copy of a connection message that arrived during a
// re-exchange.
func (c *Conn) hold(p []byte) error {
	if c.heldBytes+len(p) > maxHeld {
		return &ProtocolError{Reason: "too much data sent during key exchange"}
	}
	c.held = append(c.held, heldPacket{bytes.Clone(p), c.in.seq - 1})
	c.heldBytes += len(p)
	return nil
}

// readRawPacket reads, decrypts, authenticates and decompresses one packet.
func (c *Conn) readRawPacket() ([]byte, error) {
	before := c.r.consumed
	p, err := c.in.cipher.open(c.in.seq, c.r)
	if err != nil {
		return nil, err
	}
	c.in.seq++
	c.in.packets++
	c.in.bytes += c.r.consumed - before
	c.packetsRead++
	if c.in.compressing {
		c.inflateBuf, err = c.inflater.Inflate(c.inflateBuf[:0], p, maxPacket)
		if err != nil {
			return nil, &ProtocolError{Reason: "decompression: " + err.Error()}
		}
		p = c.inflateBuf
		if len(p) == 0 {
			return nil, &ProtocolError{Reason: "empty packet after decompression"}
		}
	}
	return p, nil
}

func disconnectError(p []byte) error {
	d, err := wire.ParseDisconnect(p)
	if err != nil {
		return err
	}
	return &DisconnectError{Reason: d.Reason, Message: d.Message}
}

func (c *Conn) handleExtInfo(p []byte) error {
	exts, err := wire.ParseExtInfo(p)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.extensions = exts
	c.mu.Unlock()
	return nil
}

// authenticatedNow switches on delayed compression (zlib@openssh.com) in
// both directions: the server compresses from the packet after
// USERAUTH_SUCCESS, and so do we from our next packet.
func (c *Conn) authenticatedNow() {
	c.mu.Lock()
	c.authenticated = true
	// Only authentication asks for extensions (server-sig-algs,
	// publickey-hostbound); an idle connection need not keep them.
	c.extensions = nil
	c.mu.Unlock()
	c.extInfoState = extInfoNever
	if c.in.compression == compressionDelayed && !c.in.compressing {
		c.startInflate()
	}
	c.wmu.Lock()
	if c.out.compression == compressionDelayed && !c.out.compressing {
		c.startDeflateLocked()
	}
	c.wmu.Unlock()
}

// WritePacket sends one message, message number first. It waits while a
// key exchange is under way. Any number of goroutines may call it.
func (c *Conn) WritePacket(payload []byte) error {
	if len(payload) == 0 || len(payload) > maxPayloadOut {
		return fmt.Errorf("ssh: cannot send a message of %d bytes", len(payload))
	}
	if wire.IsKex(payload[0]) {
		return fmt.Errorf("ssh: key exchange message %d sent outside the transport", payload[0])
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.writeErr != nil {
		return c.writeErr
	}
	// During a key exchange messages queue up, to go out under the new
	// keys, as OpenSSH does. A writer never waits here for the exchange:
	// only the reading goroutine can complete it, and that goroutine
	// writes too (replies, window adjusts), as does any goroutine that
	// sends a request and then reads its reply. The queue needs no bound
	// of its own: channel windows bound what writers may send.
	if c.kexInitSent != nil {
		c.queued = append(c.queued, payload...)
		c.queuedEnds = append(c.queuedEnds, len(c.queued))
		return nil
	}
	if err := c.writePacketLocked(nil, payload); err != nil {
		return err
	}
	if c.out.bytes >= c.out.rekeyLimit || c.out.packets >= maxPacketsPerKey || c.rekeyDue() {
		return c.sendKexInitLocked()
	}
	return nil
}

// flushQueuedLocked sends the messages queued during a key exchange.
func (c *Conn) flushQueuedLocked() error {
	start := 0
	for _, end := range c.queuedEnds {
		if err := c.writePacketLocked(nil, c.queued[start:end]); err != nil {
			return err
		}
		start = end
	}
	c.queued, c.queuedEnds = c.queued[:0], c.queuedEnds[:0]
	return nil
}

// writePacketLocked encrypts payload after prefix (the version line, the
// first time) and writes both in one system call.
func (c *Conn) writePacketLocked(prefix, payload []byte) error {
	return c.writePacketsLocked(prefix, payload, nil)
}

// writePacketsLocked seals payload, and then second unless it is nil,
// behind prefix and sends them in one write.
func (c *Conn) writePacketsLocked(prefix, payload, second []byte) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	bp := writeBuffers.Get().(*[]byte)
	b := append((*bp)[:0], prefix...)
	for _, p := range [2][]byte{payload, second} {
		if p == nil {
			break
		}
		if c.out.compressing {
			var err error
			if c.deflateBuf, err = c.deflater.Deflate(c.deflateBuf[:0], p); err != nil {
				*bp = b[:0]
				writeBuffers.Put(bp)
				return c.failWriteLocked(err)
			}
			p = c.deflateBuf
		}
		n := len(b)
		b = c.out.cipher.seal(c.out.seq, b, p, c.pad)
		c.out.seq++
		c.out.packets++
		c.out.bytes += uint64(len(b) - n)
	}
	_, err := c.conn.Write(b)
	*bp = b[:0]
	writeBuffers.Put(bp)
	if err != nil {
		return c.failWriteLocked(err)
	}
	return nil
}

var discardLogger = slog.New(slog.DiscardHandler)

// writeBuffers are where packets are sealed before they are written,
// shared by all connections: a connection holds none while it is not
// writing, and a stream of writes reuses one.
var writeBuffers = sync.Pool{New: func() any { return new([]byte) }}

func (c *Conn) failWriteLocked(err error) error {
	if c.writeErr == nil {
		c.writeErr = err
	}
	return c.writeErr
}

// rekeyDue reports whether RekeyInterval has passed since the last key
// exchange.
func (c *Conn) rekeyDue() bool {
	return c.cfg.RekeyInterval > 0 && time.Since(c.lastKexTime()) >= c.cfg.RekeyInterval
}

func (c *Conn) lastKexTime() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastKex
}

// Rekey starts a key exchange now. It returns once our KEXINIT is sent;
// the exchange completes in the goroutine that reads.
func (c *Conn) Rekey() error { return c.requestKex() }

func (c *Conn) requestKex() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendKexInitLocked()
}

// fail records a fatal read-side error, tells the server why when it was
// the server's fault, and closes the connection so writers return too.
func (c *Conn) fail(err error) error {
	if c.readErr != nil {
		return c.readErr
	}
	c.readErr = err
	var reason uint32
	var pe *ProtocolError
	switch {
	case errors.Is(err, errMAC):
		reason = wire.DisconnectMACError
	case errors.As(err, &pe):
		reason = wire.DisconnectProtocolError
	case errors.As(err, new(*NegotiationError)):
		reason = wire.DisconnectKeyExchangeFailed
	case errors.As(err, new(*HostKeyError)):
		reason = wire.DisconnectHostKeyNotVerifiable
	}
	c.shutdown(reason, err.Error(), err)
	return err
}

// shutdown sends DISCONNECT with reason (if non-zero and the write side
// still works), then closes the network connection. A writer blocked in
// Write is bounded by a short deadline so that shutdown cannot hang.
func (c *Conn) shutdown(reason uint32, msg string, err error) {
	c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.wmu.Lock()
	if reason != 0 && c.writeErr == nil {
		d := wire.Disconnect{Reason: reason, Message: msg}
		c.writePacketLocked(nil, d.Append(nil))
	}
	c.failWriteLocked(err)
	c.wmu.Unlock()
	c.conn.Close()
}

// Close sends DISCONNECT and closes the connection, including a net.Conn
// that the caller handed to Client.
func (c *Conn) Close() error {
	c.shutdown(wire.DisconnectByApplication, "closed by the client", ErrClosed)
	c.DropGSSContext()
	return nil
}

// SessionID returns the session identifier: the exchange hash of the
// first key exchange.
func (c *Conn) SessionID() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// Algorithms returns the algorithms negotiated by the latest key exchange.
func (c *Conn) Algorithms() Algorithms {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.algs
}

// HostKey returns the server's host key.
func (c *Conn) HostKey() ssh.PublicKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hostKey
}

// ServerVersion returns the server's version line, without CR LF.
func (c *Conn) ServerVersion() string { return string(c.serverVersion) }

// ClientVersion returns our version line, without CR LF.
func (c *Conn) ClientVersion() string { return string(c.clientVersion) }

// Extension returns the value of the RFC 8308 extension name the server
// sent in EXT_INFO, and whether it sent it. Extensions are kept until
// authentication succeeds, the last time they are of use.
func (c *Conn) Extension(name string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.extensions {
		if e.Name == name {
			return e.Value, true
		}
	}
	return nil, false
}

// StrictKex reports whether strict key exchange is in force.
func (c *Conn) StrictKex() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.strict
}

// KexCount returns the number of key exchanges completed.
func (c *Conn) KexCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kexCount
}

// NetConn returns the underlying network connection.
func (c *Conn) NetConn() net.Conn { return c.conn }
