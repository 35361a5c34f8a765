package connection

import (
	"github.com/amiko-ssh/amiko/internal/wire"
)

// handle processes a message for ch on the read loop.
func (ch *Channel) handle(p []byte) error {
	ch.mu.Lock()
	state := ch.state
	ch.mu.Unlock()
	switch p[0] {
	case wire.MsgChannelOpenConfirm:
		return ch.confirmed(p)
	case wire.MsgChannelOpenFailure:
		return ch.refused(p)
	}
	if state != stateOpen {
		return protocolErrorf("message %d for channel %d before it was opened", p[0], ch.localID)
	}
	switch p[0] {
	case wire.MsgChannelData, wire.MsgChannelExtendedData:
		_, code, data, err := parseData(p)
		if err != nil {
			return err
		}
		return ch.receive(p[0] == wire.MsgChannelExtendedData, code, data)
	case wire.MsgChannelWindowAdjust:
		_, n, err := parseWindowAdjust(p)
		if err != nil {
			return err
		}
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if uint64(ch.remoteWindow)+uint64(n) > 1<<32-1 {
			return protocolErrorf("window adjust of %d overflows channel %d's window of %d", n, ch.localID, ch.remoteWindow)
		}
		ch.remoteWindow += n
		ch.sendable.Broadcast()
		return nil
	case wire.MsgChannelEOF:
		if _, err := parseRecipient(p, "CHANNEL_EOF"); err != nil {
			return err
		}
		ch.mu.Lock()
		ch.eofRcvd = true
		ch.wakeAllLocked()
		ch.mu.Unlock()
		return nil
	case wire.MsgChannelClose:
		if _, err := parseRecipient(p, "CHANNEL_CLOSE"); err != nil {
			return err
		}
		ch.mu.Lock()
		if ch.closeRcvd {
			ch.mu.Unlock()
			return protocolErrorf("second CLOSE for channel %d", ch.localID)
		}
		ch.closeRcvd = true
		ch.wakeAllLocked()
		ch.mu.Unlock()
		_, err := ch.sendMsg(appendRecipient(nil, wire.MsgChannelClose, ch.remoteID), true)
		ch.conn.unregister(ch)
		ch.mu.Lock()
		ch.finishLocked()
		ch.mu.Unlock()
		return err
	case wire.MsgChannelRequest:
		return ch.request(p)
	case wire.MsgChannelSuccess, wire.MsgChannelFailure:
		if _, err := parseRecipient(p, "CHANNEL_SUCCESS"); err != nil {
			return err
		}
		ch.mu.Lock()
		defer ch.mu.Unlock()
		if len(ch.replies) == 0 {
			return protocolErrorf("channel request reply without a request on channel %d", ch.localID)
		}
		r := ch.replies[0]
		ch.replies[0] = nil
		ch.replies = ch.replies[1:]
		r <- p[0] == wire.MsgChannelSuccess
		return nil
	}
	return protocolErrorf("unexpected message %d", p[0])
}

// receive takes data the peer sent within the window it was granted.
func (ch *Channel) receive(extended bool, code uint32, data []byte) error {
	n := uint32(len(data))
	ch.mu.Lock()
	switch {
	case ch.eofRcvd || ch.closeRcvd:
		ch.mu.Unlock()
		return protocolErrorf("data after EOF on channel %d", ch.localID)
	case n > ch.maxPacket:
		ch.mu.Unlock()
		return protocolErrorf("%d bytes of data on channel %d, larger than its maximum packet of %d", n, ch.localID, ch.maxPacket)
	case n > ch.granted:
		ch.mu.Unlock()
		return protocolErrorf("%d bytes of data on channel %d, beyond its window of %d", n, ch.localID, ch.granted)
	}
	ch.granted -= n
	if ch.sampling {
		ch.sample += n
	}
	switch {
	case ch.localClosed:
		ch.consumed += n // discarded
	case !extended:
		ch.stdout.write(data)
		ch.stdout.readable.Broadcast()
	case code == 1:
		ch.stderr.write(data)
		ch.stderr.readable.Broadcast()
	default:
		ch.consumed += n // an extended data type nobody reads
	}
	adj, ping := ch.takeAdjustLocked()
	ch.mu.Unlock()
	ch.grant(adj, ping)
	return nil
}

// request answers a channel request from the peer.
func (ch *Channel) request(p []byte) error {
	m, err := parseChannelRequest(p)
	if err != nil {
		return err
	}
	ok := false
	ch.mu.Lock()
	h := ch.handler
	switch string(m.Name) {
	case "exit-status":
		if v, valid := parseExitStatus(m.Payload); valid {
			ch.exitStatus, ch.hasExitStatus = int(v), true
			ok = true
		}
		h = nil
	case "exit-signal":
		if s, valid := parseExitSignal(m.Payload); valid {
			ch.exitSignal = s
			ok = true
		}
		h = nil
	case "keepalive@openssh.com":
		// OpenSSH's client answers failure; any answer keeps sshd's
		// ClientAliveInterval satisfied.
		h = nil
	}
	ch.mu.Unlock()
	if h != nil {
		ok = h(&Request{Type: string(m.Name), WantReply: m.WantReply, Payload: m.Payload})
	}
	if !m.WantReply {
		return nil
	}
	msg := wire.MsgChannelFailure
	if ok {
		msg = wire.MsgChannelSuccess
	}
	_, err = ch.sendMsg(appendRecipient(nil, byte(msg), ch.remoteID), false)
	return err
}
