package connection

import "github.com/amiko-ssh/amiko/internal/wire"

// The connection protocol's messages (RFC 4254), decoded in place: the
// byte slices returned alias the payload, which the transport reuses on
// its next read, so the read loop copies what it keeps.

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
	d := wire.NewReader("", p[1:])
	m.Type = d.String("type")
	m.Sender = d.Uint32("sender")
	m.Window = d.Uint32("window")
	m.MaxPacket = d.Uint32("max packet")
	m.Extra = d.Rest()
	if d.Err() != nil {
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
	d := wire.NewReader("", p[1:])
	m.Recipient = d.Uint32("recipient")
	m.Sender = d.Uint32("sender")
	m.Window = d.Uint32("window")
	m.MaxPacket = d.Uint32("max packet")
	m.Extra = d.Rest()
	if d.Err() != nil {
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
	d := wire.NewReader("", p[1:])
	m.Recipient = d.Uint32("recipient")
	m.Reason = d.Uint32("reason")
	m.Message = d.String("message")
	if d.Err() != nil {
		return m, malformed("CHANNEL_OPEN_FAILURE")
	}
	// The language tag is required by the RFC but some peers omit it.
	if d.Len() > 0 {
		d.String("language tag")
		if d.End() != nil {
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
	d := wire.NewReader("", p[1:])
	id := d.Uint32("id")
	if d.End() != nil {
		return 0, malformed(msg)
	}
	return id, nil
}

func appendRecipient(b []byte, msg byte, recipient uint32) []byte {
	return wire.AppendUint32(append(b, msg), recipient)
}

// parseWindowAdjust decodes SSH_MSG_CHANNEL_WINDOW_ADJUST.
func parseWindowAdjust(p []byte) (recipient, n uint32, err error) {
	d := wire.NewReader("", p[1:])
	recipient = d.Uint32("recipient")
	n = d.Uint32("n")
	if d.End() != nil {
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
	d := wire.NewReader("", p[1:])
	recipient = d.Uint32("recipient")
	if p[0] == wire.MsgChannelExtendedData {
		code = d.Uint32("code")
	}
	data = d.String("data")
	if d.End() != nil {
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
	d := wire.NewReader("", p[1:])
	m.Recipient = d.Uint32("recipient")
	m.Name = d.String("name")
	m.WantReply = d.Bool("want reply")
	m.Payload = d.Rest()
	if d.Err() != nil {
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
	d := wire.NewReader("", p[1:])
	m.Name = d.String("name")
	m.WantReply = d.Bool("want reply")
	m.Payload = d.Rest()
	if d.Err() != nil {
		return m, malformed("GLOBAL_REQUEST")
	}
	return m, nil
}

// parseExitStatus decodes the payload of an "exit-status" request.
func parseExitStatus(payload []byte) (uint32, bool) {
	d := wire.NewReader("", payload)
	v := d.Uint32("v")
	return v, d.End() == nil
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
	d := wire.NewReader("", payload)
	s := &ExitSignal{}
	s.Signal = string(d.String("signal name"))
	s.CoreDumped = d.Bool("core dumped")
	s.Message = string(d.String("error message"))
	if d.Err() == nil && d.Len() > 0 {
		s.Lang = string(d.String("language tag"))
	}
	if d.End() != nil {
		return nil, false
	}
	return s, true
}
