package connection

import (
	"encoding/binary"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// The connection protocol's messages (RFC 4254), decoded in place: the
// byte slices returned alias the payload, which the transport reuses on
// its next read, so the read loop copies what it keeps.

// decoder reads fields from a message. The first short read makes every
// later read return zero values and ok false.
type decoder struct {
	b  []byte
	ok bool
}

func newDecoder(p []byte) decoder { return decoder{b: p, ok: true} }

func (d *decoder) byte() byte {
	if !d.ok || len(d.b) < 1 {
		d.ok = false
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bool() bool { return d.byte() != 0 }

func (d *decoder) uint32() uint32 {
	if !d.ok || len(d.b) < 4 {
		d.ok = false
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) string() []byte {
	n := d.uint32()
	if !d.ok || uint64(n) > uint64(len(d.b)) {
		d.ok = false
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// end reports whether everything decoded with nothing left over.
func (d *decoder) end() bool { return d.ok && len(d.b) == 0 }

// rest returns what is left, for messages that end in type-specific data.
func (d *decoder) rest() []byte {
	if !d.ok {
		return nil
	}
	v := d.b
	d.b = nil
	return v
}

func malformed(msg string) error { return protocolErrorf("malformed %s message", msg) }

// channelOpenMsg is SSH_MSG_CHANNEL_OPEN.
type channelOpenMsg struct {
	Type      []byte
	Sender    uint32
	Window    uint32
	MaxPacket uint32
	Extra     []byte
}

func parseChannelOpen(p []byte) (m channelOpenMsg, err error) {
	d := newDecoder(p[1:])
	m.Type = d.string()
	m.Sender = d.uint32()
	m.Window = d.uint32()
	m.MaxPacket = d.uint32()
	m.Extra = d.rest()
	if !d.ok {
		return m, malformed("CHANNEL_OPEN")
	}
	return m, nil
}

func appendChannelOpen(b []byte, typ string, sender, window, maxPacket uint32, extra []byte) []byte {
	b = append(b, wire.MsgChannelOpen)
	b = wire.AppendText(b, typ)
	b = wire.AppendUint32(b, sender)
	b = wire.AppendUint32(b, window)
	b = wire.AppendUint32(b, maxPacket)
	return append(b, extra...)
}

// openConfirmMsg is SSH_MSG_CHANNEL_OPEN_CONFIRMATION.
type openConfirmMsg struct {
	Recipient uint32
	Sender    uint32
	Window    uint32
	MaxPacket uint32
	Extra     []byte
}

func parseOpenConfirm(p []byte) (m openConfirmMsg, err error) {
	d := newDecoder(p[1:])
	m.Recipient = d.uint32()
	m.Sender = d.uint32()
	m.Window = d.uint32()
	m.MaxPacket = d.uint32()
	m.Extra = d.rest()
	if !d.ok {
		return m, malformed("CHANNEL_OPEN_CONFIRMATION")
	}
	return m, nil
}

func appendOpenConfirm(b []byte, recipient, sender, window, maxPacket uint32) []byte {
	b = append(b, wire.MsgChannelOpenConfirm)
	b = wire.AppendUint32(b, recipient)
	b = wire.AppendUint32(b, sender)
	b = wire.AppendUint32(b, window)
	return wire.AppendUint32(b, maxPacket)
}

// openFailureMsg is SSH_MSG_CHANNEL_OPEN_FAILURE.
type openFailureMsg struct {
	Recipient uint32
	Reason    uint32
	Message   []byte
}

func parseOpenFailure(p []byte) (m openFailureMsg, err error) {
	d := newDecoder(p[1:])
	m.Recipient = d.uint32()
	m.Reason = d.uint32()
	m.Message = d.string()
	if !d.ok {
		return m, malformed("CHANNEL_OPEN_FAILURE")
	}
	// The language tag is required by the RFC but some peers omit it.
	if len(d.b) > 0 {
		d.string()
		if !d.end() {
			return m, malformed("CHANNEL_OPEN_FAILURE")
		}
	}
	return m, nil
}

func appendOpenFailure(b []byte, recipient, reason uint32, message string) []byte {
	b = append(b, wire.MsgChannelOpenFailure)
	b = wire.AppendUint32(b, recipient)
	b = wire.AppendUint32(b, reason)
	b = wire.AppendText(b, message)
	return wire.AppendText(b, "")
}

// parseRecipient decodes the messages that carry only the recipient
// channel: EOF, CLOSE, SUCCESS and FAILURE. A peer may append nothing.
func parseRecipient(p []byte, msg string) (uint32, error) {
	d := newDecoder(p[1:])
	id := d.uint32()
	if !d.end() {
		return 0, malformed(msg)
	}
	return id, nil
}

func appendRecipient(b []byte, msg byte, recipient uint32) []byte {
	return wire.AppendUint32(append(b, msg), recipient)
}

// parseWindowAdjust decodes SSH_MSG_CHANNEL_WINDOW_ADJUST.
func parseWindowAdjust(p []byte) (recipient, n uint32, err error) {
	d := newDecoder(p[1:])
	recipient = d.uint32()
	n = d.uint32()
	if !d.end() {
		return 0, 0, malformed("CHANNEL_WINDOW_ADJUST")
	}
	return recipient, n, nil
}

func appendWindowAdjust(b []byte, recipient, n uint32) []byte {
	b = append(b, wire.MsgChannelWindowAdjust)
	b = wire.AppendUint32(b, recipient)
	return wire.AppendUint32(b, n)
}

// parseData decodes SSH_MSG_CHANNEL_DATA and SSH_MSG_CHANNEL_EXTENDED_DATA
// (code is 0 for plain data).
func parseData(p []byte) (recipient, code uint32, data []byte, err error) {
	d := newDecoder(p[1:])
	recipient = d.uint32()
	if p[0] == wire.MsgChannelExtendedData {
		code = d.uint32()
	}
	data = d.string()
	if !d.end() {
		if p[0] == wire.MsgChannelExtendedData {
			return 0, 0, nil, malformed("CHANNEL_EXTENDED_DATA")
		}
		return 0, 0, nil, malformed("CHANNEL_DATA")
	}
	return recipient, code, data, nil
}

func appendDataHeader(b []byte, recipient uint32, n int) []byte {
	b = append(b, wire.MsgChannelData)
	b = wire.AppendUint32(b, recipient)
	return wire.AppendUint32(b, uint32(n))
}

// channelRequestMsg is SSH_MSG_CHANNEL_REQUEST.
type channelRequestMsg struct {
	Recipient uint32
	Name      []byte
	WantReply bool
	Payload   []byte
}

func parseChannelRequest(p []byte) (m channelRequestMsg, err error) {
	d := newDecoder(p[1:])
	m.Recipient = d.uint32()
	m.Name = d.string()
	m.WantReply = d.bool()
	m.Payload = d.rest()
	if !d.ok {
		return m, malformed("CHANNEL_REQUEST")
	}
	return m, nil
}

func appendChannelRequest(b []byte, recipient uint32, name string, wantReply bool, payload []byte) []byte {
	b = append(b, wire.MsgChannelRequest)
	b = wire.AppendUint32(b, recipient)
	b = wire.AppendText(b, name)
	b = wire.AppendBool(b, wantReply)
	return append(b, payload...)
}

// globalRequestMsg is SSH_MSG_GLOBAL_REQUEST.
type globalRequestMsg struct {
	Name      []byte
	WantReply bool
	Payload   []byte
}

func parseGlobalRequest(p []byte) (m globalRequestMsg, err error) {
	d := newDecoder(p[1:])
	m.Name = d.string()
	m.WantReply = d.bool()
	m.Payload = d.rest()
	if !d.ok {
		return m, malformed("GLOBAL_REQUEST")
	}
	return m, nil
}

// parseExitStatus decodes the payload of an "exit-status" request.
func parseExitStatus(payload []byte) (uint32, bool) {
	d := newDecoder(payload)
	v := d.uint32()
	return v, d.end()
}

// ExitSignal describes a remote process killed by a signal
// ("exit-signal", RFC 4254 section 6.10).
type ExitSignal struct {
	Signal     string // without the "SIG" prefix, e.g. "TERM"
	CoreDumped bool
	Message    string
	Lang       string
}

// parseExitSignal decodes the payload of an "exit-signal" request. The
// language tag is optional, as some servers leave it out.
func parseExitSignal(payload []byte) (*ExitSignal, bool) {
	d := newDecoder(payload)
	s := &ExitSignal{}
	s.Signal = string(d.string())
	s.CoreDumped = d.bool()
	s.Message = string(d.string())
	if d.ok && len(d.b) > 0 {
		s.Lang = string(d.string())
	}
	if !d.end() {
		return nil, false
	}
	return s, true
}
