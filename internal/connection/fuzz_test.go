package connection

import (
	"bytes"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// The fuzz targets of the connection protocol's decoders. Their seed
// corpora are in testdata/fuzz/<target>. Run one with
//
//	go test ./internal/connection -run '^$' -fuzz '^FuzzChannelMessage$'

// FuzzChannelMessage decodes one message with every decoder: none may
// panic, and what decodes re-encodes to the same bytes where the
// encoding is unique.
func FuzzChannelMessage(f *testing.F) {
	for _, seed := range seedMessages() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) == 0 {
			return
		}
		if m, err := parseChannelOpen(p); err == nil && p[0] == wire.MsgChannelOpen {
			if got := appendChannelOpen(nil, string(m.Type), m.Sender, m.Window, m.MaxPacket, m.Extra); !bytes.Equal(got, p) {
				t.Fatalf("CHANNEL_OPEN re-encodes to %x", got)
			}
		}
		if m, err := parseOpenConfirm(p); err == nil && p[0] == wire.MsgChannelOpenConfirm && len(m.Extra) == 0 {
			if got := appendOpenConfirm(nil, m.Recipient, m.Sender, m.Window, m.MaxPacket); !bytes.Equal(got, p) {
				t.Fatalf("CHANNEL_OPEN_CONFIRMATION re-encodes to %x", got)
			}
		}
		parseOpenFailure(p)
		if id, n, err := parseWindowAdjust(p); err == nil && p[0] == wire.MsgChannelWindowAdjust {
			if got := appendWindowAdjust(nil, id, n); !bytes.Equal(got, p) {
				t.Fatalf("WINDOW_ADJUST re-encodes to %x", got)
			}
		}
		if id, _, d, err := parseData(p); err == nil && p[0] == wire.MsgChannelData {
			if got := append(appendDataHeader(nil, id, len(d)), d...); !bytes.Equal(got, p) {
				t.Fatalf("CHANNEL_DATA re-encodes to %x", got)
			}
		}
		if m, err := parseChannelRequest(p); err == nil && p[0] == wire.MsgChannelRequest {
			got := appendChannelRequest(nil, m.Recipient, string(m.Name), m.WantReply, m.Payload)
			if p[1+4+4+len(m.Name)] <= 1 && !bytes.Equal(got, p) {
				t.Fatalf("CHANNEL_REQUEST re-encodes to %x", got)
			}
			parseExitStatus(m.Payload)
			parseExitSignal(m.Payload)
		}
		parseGlobalRequest(p)
		parseRecipient(p, "CHANNEL_EOF")
		parseExitSignal(p[1:])
	})
}

// FuzzDispatch feeds a sequence of messages to a connection with one
// open channel: none may panic, and the data buffered never exceeds the
// window granted. Each message is preceded by its length, one byte.
func FuzzDispatch(f *testing.F) {
	for _, seed := range seedMessages() {
		f.Add(append([]byte{byte(len(seed))}, seed...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, ch := openOnFake(t, Config{InitialWindow: 4096, MaxWindow: 8192, MaxPacket: 1024}, 100, 50)
		for len(in) > 0 {
			n := int(in[0])
			in = in[1:]
			if n == 0 || n > len(in) {
				break
			}
			msg := in[:n]
			in = in[n:]
			if err := c.dispatch(msg); err != nil {
				break
			}
			ch.mu.Lock()
			if ch.stdout.len()+ch.stderr.len() > int(ch.window) || ch.granted > ch.window {
				t.Fatalf("buffered %d+%d, granted %d, window %d", ch.stdout.len(), ch.stderr.len(), ch.granted, ch.window)
			}
			ch.mu.Unlock()
		}
		c.shutdown(ErrClosed)
	})
}

// seedMessages is one valid message of each kind, for channel 0.
func seedMessages() [][]byte {
	sig := wire.AppendText(nil, "TERM")
	sig = wire.AppendBool(sig, false)
	sig = wire.AppendText(sig, "")
	sig = wire.AppendText(sig, "")
	return [][]byte{
		appendChannelOpen(nil, "forwarded-tcpip", 3, 1<<20, 32<<10, wire.AppendText(nil, "127.0.0.1")),
		appendOpenConfirm(nil, 0, 5, 1<<20, 32<<10),
		appendOpenFailure(nil, 0, 2, "connect failed"),
		appendWindowAdjust(nil, 0, 1000),
		append(appendDataHeader(nil, 0, 5), "hello"...),
		wire.AppendString(wire.AppendUint32(wire.AppendUint32([]byte{wire.MsgChannelExtendedData}, 0), 1), []byte("err")),
		appendRecipient(nil, wire.MsgChannelEOF, 0),
		appendRecipient(nil, wire.MsgChannelClose, 0),
		appendChannelRequest(nil, 0, "exit-status", false, wire.AppendUint32(nil, 3)),
		appendChannelRequest(nil, 0, "exit-signal", false, sig),
		appendChannelRequest(nil, 0, "keepalive@openssh.com", true, nil),
		wire.AppendGlobalRequest(nil, "keepalive@openssh.com", true, nil),
		wire.AppendGlobalRequest(nil, "hostkeys-00@openssh.com", false, []byte{0, 0, 0, 1, 'k'}),
		{wire.MsgRequestFailure},
		appendRecipient(nil, wire.MsgChannelSuccess, 0),
	}
}
