package connection

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by calls on a Conn that was closed with Close, and
// by calls that were blocked when it was.
var ErrClosed = errors.New("ssh: connection closed")

// ErrChannelClosed is returned by calls on a Channel after its Close.
var ErrChannelClosed = errors.New("ssh: channel closed")

// ErrWriteClosed is returned by Write after CloseWrite.
var ErrWriteClosed = errors.New("ssh: channel closed for writing")

// ProtocolError is a violation of the connection protocol by the peer.
// It ends the connection.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "ssh: connection protocol error: " + e.Reason }

func protocolErrorf(format string, args ...any) error {
	return &ProtocolError{Reason: fmt.Sprintf(format, args...)}
}

// Reasons for refusing a channel open (RFC 4254 section 5.1).
const (
	OpenAdministrativelyProhibited uint32 = 1
	OpenConnectFailed              uint32 = 2
	OpenUnknownChannelType         uint32 = 3
	OpenResourceShortage           uint32 = 4
)

// OpenChannelError is the peer's refusal to open a channel.
type OpenChannelError struct {
	Reason  uint32
	Message string
}

func (e *OpenChannelError) Error() string {
	var reason string
	switch e.Reason {
	case OpenAdministrativelyProhibited:
		reason = "administratively prohibited"
	case OpenConnectFailed:
		reason = "connect failed"
	case OpenUnknownChannelType:
		reason = "unknown channel type"
	case OpenResourceShortage:
		reason = "resource shortage"
	default:
		reason = fmt.Sprintf("reason %d", e.Reason)
	}
	if e.Message == "" {
		return "ssh: channel open refused: " + reason
	}
	return fmt.Sprintf("ssh: channel open refused: %s: %s", reason, e.Message)
}
