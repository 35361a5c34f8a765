package connection

import (
	"context"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// OpenChannel opens a channel of chanType with the type-specific data
// extra. ctx bounds the wait for the peer's answer; a refusal is an
// *OpenChannelError. A channel confirmed after ctx ended is closed.
func (c *Conn) OpenChannel(ctx context.Context, chanType string, extra []byte) (*Channel, error) {
	ch := c.newChannel(chanType)
	if err := c.register(ch); err != nil {
		return nil, err
	}
	msg := appendChannelOpen(nil, chanType, ch.localID, ch.window, ch.maxPacket, extra)
	if err := c.t.WritePacket(msg); err != nil {
		c.unregister(ch)
		return nil, err
	}
	select {
	case <-ch.opened:
	case <-ctx.Done():
		ch.mu.Lock()
		if ch.state == stateOpening {
			ch.state = stateAbandoned
			ch.mu.Unlock()
			return nil, ctx.Err()
		}
		ch.mu.Unlock()
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.openErr != nil {
		return nil, ch.openErr
	}
	return ch, nil
}

// confirmed handles CHANNEL_OPEN_CONFIRMATION.
func (ch *Channel) confirmed(p []byte) error {
	m, err := parseOpenConfirm(p)
	if err != nil {
		return err
	}
	if m.MaxPacket == 0 {
		return protocolErrorf("channel %d confirmed with a maximum packet of 0", ch.localID)
	}
	ch.mu.Lock()
	state := ch.state
	if state != stateOpening && state != stateAbandoned {
		ch.mu.Unlock()
		return protocolErrorf("unexpected confirmation of channel %d", ch.localID)
	}
	ch.remoteID = m.Sender
	ch.remoteWindow = m.Window
	ch.remoteMax = m.MaxPacket
	if len(m.Extra) > 0 {
		ch.extra = append([]byte(nil), m.Extra...)
	}
	ch.state = stateOpen
	if state == stateAbandoned {
		ch.localClosed = true
	} else {
		close(ch.opened)
	}
	ch.mu.Unlock()
	if state == stateAbandoned {
		_, err := ch.sendMsg(appendRecipient(nil, wire.MsgChannelClose, ch.remoteID), true)
		return err
	}
	return nil
}

// refused handles CHANNEL_OPEN_FAILURE.
func (ch *Channel) refused(p []byte) error {
	m, err := parseOpenFailure(p)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.state != stateOpening && ch.state != stateAbandoned {
		return protocolErrorf("unexpected open failure for channel %d", ch.localID)
	}
	ch.conn.unregister(ch)
	if ch.state == stateOpening {
		ch.openErr = &OpenChannelError{Reason: m.Reason, Message: string(m.Message)}
		close(ch.opened)
	}
	ch.state = stateFailed
	ch.finishLocked()
	return nil
}

// NewChannel is a channel the peer asks to open (forwarded-tcpip,
// auth-agent@openssh.com, x11). The handler must Accept or Reject it.
type NewChannel struct {
	c         *Conn
	Type      string
	ExtraData []byte
	sender    uint32
	window    uint32
	maxPacket uint32
}

// HandleChannelOpen sets the handler for channels of chanType that the
// peer opens; nil removes it. Channels without a handler are refused as
// administratively prohibited. The handler runs on the read loop: it must
// not block, but may hand the channel to a goroutine.
func (c *Conn) HandleChannelOpen(chanType string, h func(*NewChannel)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h == nil {
		delete(c.handlers, chanType)
		return
	}
	if c.handlers == nil {
		c.handlers = make(map[string]func(*NewChannel))
	}
	c.handlers[chanType] = h
}

func (c *Conn) incomingOpen(p []byte) error {
	m, err := parseChannelOpen(p)
	if err != nil {
		return err
	}
	c.mu.Lock()
	h := c.handlers[string(m.Type)]
	c.mu.Unlock()
	if h == nil || m.MaxPacket == 0 {
		return c.t.WritePacket(appendOpenFailure(nil, m.Sender, OpenAdministrativelyProhibited, "open of "+string(m.Type)+" channels is not allowed"))
	}
	h(&NewChannel{
		c:         c,
		Type:      string(m.Type),
		ExtraData: append([]byte(nil), m.Extra...),
		sender:    m.Sender,
		window:    m.Window,
		maxPacket: m.MaxPacket,
	})
	return nil
}

// Accept opens the channel.
func (nc *NewChannel) Accept() (*Channel, error) {
	c := nc.c
	ch := c.newChannel(nc.Type)
	ch.state = stateOpen
	ch.remoteID = nc.sender
	ch.remoteWindow = nc.window
	ch.remoteMax = nc.maxPacket
	close(ch.opened)
	if err := c.register(ch); err != nil {
		return nil, err
	}
	if err := c.t.WritePacket(appendOpenConfirm(nil, nc.sender, ch.localID, ch.window, ch.maxPacket)); err != nil {
		c.unregister(ch)
		return nil, err
	}
	return ch, nil
}

// Reject refuses the channel with reason (OpenConnectFailed, ...).
func (nc *NewChannel) Reject(reason uint32, message string) error {
	return nc.c.t.WritePacket(appendOpenFailure(nil, nc.sender, reason, message))
}
