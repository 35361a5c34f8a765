package transport

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ProtocolError is a violation of the SSH protocol by the peer: a packet or
// message that cannot be valid.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "ssh: protocol error: " + e.Reason }

// errMAC is returned for a packet whose MAC (or AEAD tag) does not verify.
var errMAC = &ProtocolError{Reason: "message authentication code incorrect"}

// ErrMAC matches (errors.Is) a packet that failed authentication.
var ErrMAC error = errMAC

// NegotiationError reports that client and server share no algorithm in a
// category.
type NegotiationError struct {
	Category Category
	Client   []string
	Server   []string
}

func (e *NegotiationError) Error() string {
	return fmt.Sprintf("ssh: no common %s algorithm; we offered [%s], the server offered [%s]",
		e.Category, strings.Join(e.Client, ","), strings.Join(e.Server, ","))
}

// DisconnectError is an SSH_MSG_DISCONNECT received from the peer.
type DisconnectError struct {
	Reason  uint32
	Message string
}

func (e *DisconnectError) Error() string {
	return fmt.Sprintf("ssh: disconnected by the server: %s (reason %d)", e.Message, e.Reason)
}

// TimeoutError reports that a phase of the connection took longer than
// its timeout allows. It is a net.Error whose Timeout is true.
type TimeoutError struct {
	Phase string // "banner", "handshake", or "authentication" (set by amiko)
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("ssh: timed out after %v waiting for the %s", e.After, e.Phase)
}

// Timeout reports true: this is a timeout (net.Error).
func (e *TimeoutError) Timeout() bool { return true }

// Temporary reports false (net.Error).
func (e *TimeoutError) Temporary() bool { return false }

// HostKeyError reports a host key signature that does not verify, a key
// of the wrong type, or a key that changed on rekey. Rejections by the
// host key callback are returned as the callback's error instead.
type HostKeyError struct {
	Reason string
}

func (e *HostKeyError) Error() string { return "ssh: host key: " + e.Reason }

// ErrClosed is returned by operations on a closed Conn.
var ErrClosed = errors.New("ssh: connection closed")
