package auth

import (
	"fmt"
	"strings"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// Transport is what authentication needs of the transport connection.
type Transport interface {
	ReadPacket() ([]byte, error)
	WritePacket(payload []byte) error
	SessionID() []byte
	Extension(name string) ([]byte, bool)
}

const (
	serviceUserauth   = "ssh-userauth"
	serviceConnection = "ssh-connection"
)

// FailureError is SSH_MSG_USERAUTH_FAILURE: the methods that may continue,
// and whether the request was a partial success.
type FailureError struct {
	Method         string
	Methods        []string
	PartialSuccess bool
}

func (e *FailureError) Error() string {
	return fmt.Sprintf("ssh: %s authentication failed; the server allows [%s]", e.Method, strings.Join(e.Methods, ","))
}

// RequestService asks for the ssh-userauth service and waits for the
// server to accept it.
func RequestService(t Transport) error {
	if err := t.WritePacket(wire.AppendServiceRequest(nil, serviceUserauth)); err != nil {
		return err
	}
	p, err := readAuthPacket(t)
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

// readAuthPacket returns the next packet, skipping banners.
func readAuthPacket(t Transport) ([]byte, error) {
	for {
		p, err := t.ReadPacket()
		if err != nil {
			return nil, err
		}
		if p[0] == wire.MsgUserauthBanner {
			continue
		}
		return p, nil
	}
}

// parseFailure decodes SSH_MSG_USERAUTH_FAILURE.
func parseFailure(method string, p []byte) error {
	r := wire.NewReader("USERAUTH_FAILURE", p)
	r.Byte("message number")
	e := &FailureError{Method: method, Methods: r.NameList("authentications that can continue"), PartialSuccess: r.Bool("partial success")}
	if err := r.End(); err != nil {
		return err
	}
	return e
}

// appendRequestHeader appends the common start of USERAUTH_REQUEST.
func appendRequestHeader(b []byte, user, method string) []byte {
	b = append(b, wire.MsgUserauthRequest)
	b = wire.AppendText(b, user)
	b = wire.AppendText(b, serviceConnection)
	return wire.AppendText(b, method)
}
