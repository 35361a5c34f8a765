package auth

import (
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// Transport is what authentication needs of the transport connection.
// *transport.Conn implements it.
type Transport interface {
	// ReadPacket returns the next message; transport messages
	// (DISCONNECT as an error) are handled below it.
	ReadPacket() ([]byte, error)
	WritePacket(payload []byte) error
	SessionID() []byte
	// Extension returns an RFC 8308 extension the server sent.
	Extension(name string) ([]byte, bool)
	// HostKey returns the host key of the first key exchange, or nil
	// when none was sent (GSS-API key exchange without a host key).
	HostKey() ssh.PublicKey
}

const (
	serviceUserauth   = "ssh-userauth"
	serviceConnection = "ssh-connection"
)

// Authenticator runs authentication requests for User over Transport.
// Each method returns nil when the server accepts the user, a
// *FailureError when it refuses (or accepts one step of several), and
// another error when the exchange itself fails: the transport's errors
// as they are (a DISCONNECT is the transport's *DisconnectError), a
// *wire.ParseError, *ProtocolError or *LimitError for a server
// that breaks the protocol, or the error of a callback.
//
// The package-level functions are the same methods with no Banner.
// An Authenticator is used by one goroutine at a time: it reads from
// Transport.
type Authenticator struct {
	Transport Transport
	User      string
	// Banner, if set, receives each SSH_MSG_USERAUTH_BANNER message
	// (RFC 4252 section 5.4) as the server sent it: untrusted text that
	// may hold terminal control sequences. Banners are dropped when
	// Banner is nil.
	Banner func(message string)
}

// RequestService asks for the ssh-userauth service and waits for the
// server to accept it.
func RequestService(t Transport) error {
	return (&Authenticator{Transport: t}).RequestService()
}

// RequestService asks for the ssh-userauth service and waits for the
// server to accept it.
func (a *Authenticator) RequestService() error {
	if err := a.Transport.WritePacket(wire.AppendServiceRequest(nil, serviceUserauth)); err != nil {
		return err
	}
	return a.readServiceAccept()
}

// readServiceAccept reads the server's answer to the service request.
func (a *Authenticator) readServiceAccept() error {
	p, err := a.readPacket()
	if err != nil {
		return err
	}
	if p[0] != wire.MsgServiceAccept {
		return fmt.Errorf("ssh: expected SERVICE_ACCEPT, got message %d", p[0])
	}
	name, err := wire.ParseServiceAccept(p)
	if err != nil {
		return err
	}
	if name != serviceUserauth {
		return fmt.Errorf("ssh: server accepted service %q instead of %q", name, serviceUserauth)
	}
	return nil
}

// None sends the "none" request (RFC 4252 section 5.2), which learns the
// methods the server allows: the answer is a *FailureError listing them,
// or nil if the server lets the user in without authentication.
func None(t Transport, user string) error {
	return (&Authenticator{Transport: t, User: user}).None()
}

// None sends the "none" request; see the function None.
func (a *Authenticator) None() error {
	if err := a.Transport.WritePacket(appendRequestHeader(nil, a.User, methodNone)); err != nil {
		return err
	}
	p, err := a.readPacket()
	if err != nil {
		return err
	}
	return a.result(methodNone, p)
}

// readPacket returns the next packet, handing banners to a.Banner.
func (a *Authenticator) readPacket() ([]byte, error) {
	for {
		p, err := a.Transport.ReadPacket()
		if err != nil {
			return nil, err
		}
		if p[0] != wire.MsgUserauthBanner {
			return p, nil
		}
		msg, err := parseBanner(p)
		if err != nil {
			return nil, err
		}
		if a.Banner != nil {
			a.Banner(msg)
		}
	}
}

// result interprets the messages that end every method: SUCCESS and
// FAILURE. Anything else is unexpected.
func (a *Authenticator) result(method string, p []byte) error {
	switch p[0] {
	case wire.MsgUserauthSuccess:
		return nil
	case wire.MsgUserauthFailure:
		return parseFailure(method, p)
	}
	return unexpected(method, p[0])
}

// writeSecret sends a request that holds a secret and clears the buffer:
// WritePacket has encrypted or copied it by the time it returns.
func (a *Authenticator) writeSecret(req []byte) error {
	err := a.Transport.WritePacket(req)
	clear(req)
	return err
}

// RequestServicePipelined sends the request for the ssh-userauth service
// and returns at once, with a Transport for the authentication requests
// that follow: its first read takes the server's SERVICE_ACCEPT (or
// fails if the server did not accept). The first authentication request
// then goes out without waiting a round trip for the acceptance. Servers
// process their input in order, so this is only a change of timing:
// OpenSSH, dropbear, paramiko, asyncssh and x/crypto/ssh all accept it.
func RequestServicePipelined(t Transport) (Transport, error) {
	if err := t.WritePacket(wire.AppendServiceRequest(nil, serviceUserauth)); err != nil {
		return nil, err
	}
	return &pipelined{Transport: t, pending: true}, nil
}

// pipelined is a Transport whose SERVICE_ACCEPT is still to be read.
type pipelined struct {
	Transport
	pending bool
}

func (p *pipelined) ReadPacket() ([]byte, error) {
	if p.pending {
		p.pending = false
		if err := (&Authenticator{Transport: p.Transport}).readServiceAccept(); err != nil {
			return nil, err
		}
	}
	return p.Transport.ReadPacket()
}
