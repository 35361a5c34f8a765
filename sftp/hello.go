package sftp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// SFTP version 3 (draft-ietf-secsh-filexfer-02) message numbers used here.
const (
	fxpInit          = 1
	fxpVersion       = 2
	fxpStatus        = 101
	fxpExtended      = 200
	fxpExtendedReply = 201
)

const (
	sftpVersion = 3
	// maxHelloPacket bounds the packets read during the hello, as
	// pkg/sftp bounds all of its own (256 KiB).
	maxHelloPacket = 256 << 10
	// limitsExtension is OpenSSH's request for the server's limits
	// (PROTOCOL.sftp, "limits@openssh.com"), version "1".
	limitsExtension = "limits@openssh.com"
	// limitsID is the request id of the limits request, the only request
	// sent before pkg/sftp takes over (whose ids start at 1 and which
	// never sees this reply).
	limitsID = 0
	// defaultRequestSize is the read and write size every server must
	// take (pkg/sftp's default), and maxRequestSize the largest amiko
	// asks for where a server's limits allow: OpenSSH's sftp client uses
	// its own maximum message (256 KiB) less 1 KiB for headers.
	defaultRequestSize = 32 << 10
	maxRequestSize     = 255 << 10
)

// ProtocolError reports an SFTP server that broke the protocol during
// the version exchange.
type ProtocolError struct{ Reason string }

func (e *ProtocolError) Error() string { return "sftp: " + e.Reason }

// serverLimits are the values of a limits@openssh.com reply; zero means
// the server sets no limit.
type serverLimits struct {
	packet, read, write, openHandles uint64
}

// requestSize is the read and write size to use under l: the largest
// that every limit allows, at most maxRequestSize, and the default when
// the server told nothing.
func (l *serverLimits) requestSize() int {
	if l == nil {
		return defaultRequestSize
	}
	size := uint64(maxRequestSize)
	for _, limit := range []uint64{l.read, l.write} {
		if limit != 0 {
			size = min(size, limit)
		}
	}
	if l.packet != 0 {
		// A write request carries its handle and offsets besides the
		// data; OpenSSH's client leaves 1 KiB for them.
		size = min(size, max(l.packet, 2048)-1024)
	}
	return int(size)
}

// hello runs SFTP's version exchange on rw itself, before pkg/sftp is
// started, so that it can ask a server that offers limits@openssh.com for
// its limits (pkg/sftp cannot send an extended request of its own
// choosing, and after its start nothing else may speak on the channel).
// It returns the server's VERSION packet whole, to be replayed to
// pkg/sftp, and the limits, nil when the server has none to tell.
func hello(rw io.ReadWriter) (version []byte, limits *serverLimits, err error) {
	if _, err := rw.Write(appendPacket(nil, fxpInit, binary.BigEndian.AppendUint32(nil, sftpVersion))); err != nil {
		return nil, nil, err
	}
	version, err = readPacket(rw)
	if err != nil {
		return nil, nil, err
	}
	v, exts, err := parseVersion(version[4:])
	if err != nil {
		return nil, nil, err
	}
	if v != sftpVersion || exts[limitsExtension] != "1" {
		// pkg/sftp reports a version other than 3 itself.
		return version, nil, nil
	}
	req := binary.BigEndian.AppendUint32(nil, limitsID)
	req = wire.AppendText(req, limitsExtension)
	if _, err := rw.Write(appendPacket(nil, fxpExtended, req)); err != nil {
		return nil, nil, err
	}
	reply, err := readPacket(rw)
	if err != nil {
		return nil, nil, err
	}
	limits, err = parseLimitsReply(reply[4:])
	if err != nil {
		return nil, nil, err
	}
	return version, limits, nil
}

// appendPacket appends an SFTP packet: length, type, payload.
func appendPacket(b []byte, typ byte, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)))
	b = append(b, typ)
	return append(b, payload...)
}

// readPacket reads one SFTP packet, its length included.
func readPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, helloReadError(err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxHelloPacket {
		return nil, &ProtocolError{Reason: fmt.Sprintf("packet of %d bytes during the version exchange", n)}
	}
	p := make([]byte, 4+n)
	copy(p, hdr[:])
	if _, err := io.ReadFull(r, p[4:]); err != nil {
		return nil, helloReadError(err)
	}
	return p, nil
}

func helloReadError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("sftp: the server closed the subsystem during the version exchange: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// protocolError turns a decoding failure into a *ProtocolError.
func protocolError(err error) error {
	var pe *wire.ParseError
	if errors.As(err, &pe) {
		if pe.Field == "" {
			return &ProtocolError{Reason: "malformed " + pe.Msg}
		}
		return &ProtocolError{Reason: fmt.Sprintf("malformed %s: bad %s", pe.Msg, pe.Field)}
	}
	return err
}

// parseVersion decodes an SSH_FXP_VERSION payload (type first): the
// version and the extension pairs, the first of each name kept. SFTP's
// fields are SSH's data types (RFC 4251), so wire.Reader reads them.
func parseVersion(p []byte) (uint32, map[string]string, error) {
	r := wire.NewReader("VERSION", p)
	if typ := r.Byte("type"); r.Err() == nil && typ != fxpVersion {
		return 0, nil, &ProtocolError{Reason: fmt.Sprintf("message %d instead of VERSION", typ)}
	}
	v := r.Uint32("version")
	exts := make(map[string]string)
	for r.Err() == nil && r.Len() > 0 {
		name := r.Text("extension name")
		data := r.Text("extension data")
		if _, dup := exts[name]; !dup && r.Err() == nil {
			exts[name] = data
		}
	}
	if err := r.Err(); err != nil {
		return 0, nil, protocolError(err)
	}
	return v, exts, nil
}

// parseLimitsReply decodes the reply to the limits request (type first):
// an EXTENDED_REPLY with four uint64s, or a STATUS, which means the
// server has none to tell after all.
func parseLimitsReply(p []byte) (*serverLimits, error) {
	r := wire.NewReader("limits reply", p)
	typ := r.Byte("type")
	id := r.Uint32("id")
	if err := r.Err(); err != nil {
		return nil, protocolError(err)
	}
	if id != limitsID {
		return nil, &ProtocolError{Reason: fmt.Sprintf("reply to request %d, want %d", id, limitsID)}
	}
	switch typ {
	case fxpStatus:
		return nil, nil
	case fxpExtendedReply:
	default:
		return nil, &ProtocolError{Reason: fmt.Sprintf("message %d in reply to %s", typ, limitsExtension)}
	}
	l := &serverLimits{
		packet:      r.Uint64("max-packet-length"),
		read:        r.Uint64("max-read-length"),
		write:       r.Uint64("max-write-length"),
		openHandles: r.Uint64("max-open-handles"),
	}
	if err := r.Err(); err != nil {
		return nil, protocolError(err)
	}
	return l, nil
}
