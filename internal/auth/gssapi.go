package auth

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// The gssapi-with-mic messages (RFC 4462 section 3). EXCHANGE_COMPLETE
// (63), for mechanisms without integrity, is never sent: amiko always
// proves the context with a MIC.
const (
	methodGSSAPIWithMIC = "gssapi-with-mic"

	msgUserauthGSSAPIResponse = 60
	msgUserauthGSSAPIToken    = 61
	msgUserauthGSSAPIError    = 64
	msgUserauthGSSAPIErrtok   = 65
	msgUserauthGSSAPIMIC      = 66
)

// maxGSSAPITokens bounds the token round trips of one context: Kerberos
// needs one, SPNEGO a few.
const maxGSSAPITokens = 16

// GSSAPIError is a GSS-API failure in gssapi-with-mic: the mechanism's
// own (no credentials, unknown server, a MIC that does not verify), or
// the server's SSH_MSG_USERAUTH_GSSAPI_ERROR, whose text is in Server.
type GSSAPIError struct {
	Err    error  // the mechanism's error, if the failure was ours
	Server string // the server's GSSAPI_ERROR message, if it sent one
	Major  uint32
	Minor  uint32
}

func (e *GSSAPIError) Error() string {
	switch {
	case e.Err != nil && e.Server != "":
		return fmt.Sprintf("ssh: gssapi-with-mic: %v (the server says %q)", e.Err, e.Server)
	case e.Err != nil:
		return "ssh: gssapi-with-mic: " + e.Err.Error()
	}
	return fmt.Sprintf("ssh: gssapi-with-mic: the server's GSS-API failed: %q (major %#x, minor %d)", e.Server, e.Major, e.Minor)
}

func (e *GSSAPIError) Unwrap() error { return e.Err }

// GSSAPIWithMIC authenticates user with mech (RFC 4462 section 3): it
// offers the mechanism, establishes a security context with target (a
// host-based service name, "host@server"), and proves it with a MIC over
// the session. delegate asks the mechanism to forward the user's
// credentials. ctx bounds what the mechanism does elsewhere (asking the
// KDC for a service ticket).
//
// A mechanism that fails (no ticket, unknown server principal) returns a
// *GSSAPIError; the usual failures come with the first token, before
// anything is sent, so the caller goes on with the next method. A server
// that refuses the user returns a *FailureError, with the server's
// GSSAPI_ERROR text in a *GSSAPIError around it when it sent one.
func GSSAPIWithMIC(ctx context.Context, t Transport, user string, mech gssapi.Mechanism, target string, delegate bool) error {
	return (&Authenticator{Transport: t, User: user}).GSSAPIWithMIC(ctx, mech, target, delegate)
}

// GSSAPIWithMIC runs gssapi-with-mic; see the function GSSAPIWithMIC.
func (a *Authenticator) GSSAPIWithMIC(ctx context.Context, mech gssapi.Mechanism, target string, delegate bool) error {
	oid, err := asn1.Marshal(mech.OID())
	if err != nil {
		return &GSSAPIError{Err: err}
	}
	// The first token comes before the request: the usual failures (no
	// ticket, no such server principal) happen here, and then nothing
	// was sent that a server would need abandoned (x/crypto/ssh's server
	// cannot abandon gssapi-with-mic midway; OpenSSH's can).
	sec, err := mech.InitSecContext(ctx, target, gssapi.ContextOptions{Delegate: delegate})
	if err != nil {
		return &GSSAPIError{Err: err}
	}
	defer sec.Close()
	out, established, err := sec.Step(nil)
	if err != nil {
		return &GSSAPIError{Err: err}
	}

	req := appendRequestHeader(nil, a.User, methodGSSAPIWithMIC)
	req = wire.AppendUint32(req, 1)
	req = wire.AppendString(req, oid)
	if err := a.Transport.WritePacket(req); err != nil {
		return err
	}
	p, err := a.readPacket()
	if err != nil {
		return err
	}
	if p[0] != msgUserauthGSSAPIResponse {
		return a.result(methodGSSAPIWithMIC, p)
	}
	d := wire.NewReader("USERAUTH_GSSAPI_RESPONSE", p[1:])
	chosen := d.String("mechanism")
	if err := d.End(); err != nil {
		return err
	}
	if !bytes.Equal(chosen, oid) {
		return &ProtocolError{Method: methodGSSAPIWithMIC, Reason: "the server chose a GSS-API mechanism that was not offered"}
	}

	var serverErr *GSSAPIError
	for round := 0; ; round++ {
		if len(out) > 0 {
			if err := a.Transport.WritePacket(wire.AppendString([]byte{msgUserauthGSSAPIToken}, out)); err != nil {
				return err
			}
		}
		if established {
			break
		}
		if round == maxGSSAPITokens {
			return &LimitError{Method: methodGSSAPIWithMIC, What: "GSS-API tokens", Count: maxGSSAPITokens + 1, Limit: maxGSSAPITokens}
		}
		var in []byte
		in, serverErr, err = a.gssapiToken(serverErr)
		if err != nil {
			return err
		}
		out, established, err = sec.Step(in)
		if err != nil {
			if serverErr != nil {
				serverErr.Err = err
				return serverErr
			}
			return &GSSAPIError{Err: err}
		}
	}

	mic, err := sec.GetMIC(micData(a.Transport.SessionID(), a.User, methodGSSAPIWithMIC))
	if err != nil {
		return &GSSAPIError{Err: err}
	}
	if err := a.Transport.WritePacket(wire.AppendString([]byte{msgUserauthGSSAPIMIC}, mic)); err != nil {
		return err
	}
	p, err = a.readPacket()
	if err != nil {
		return err
	}
	return a.result(methodGSSAPIWithMIC, p)
}

// gssapiToken reads the server's next context token. GSSAPI_ERROR
// messages before it are kept for the error; an ERRTOK is the server's
// failure token, handed to the mechanism (which then fails); FAILURE
// ends the method.
func (a *Authenticator) gssapiToken(serverErr *GSSAPIError) ([]byte, *GSSAPIError, error) {
	for {
		p, err := a.readPacket()
		if err != nil {
			return nil, serverErr, err
		}
		switch p[0] {
		case msgUserauthGSSAPIToken, msgUserauthGSSAPIErrtok:
			d := wire.NewReader("USERAUTH_GSSAPI_TOKEN", p[1:])
			tok := bytes.Clone(d.String("token"))
			if err := d.End(); err != nil {
				return nil, serverErr, err
			}
			return tok, serverErr, nil
		case msgUserauthGSSAPIError:
			d := wire.NewReader("USERAUTH_GSSAPI_ERROR", p[1:])
			e := &GSSAPIError{Major: d.Uint32("major status"), Minor: d.Uint32("minor status"), Server: string(d.String("message"))}
			d.String("language tag")
			if err := d.End(); err != nil {
				return nil, serverErr, err
			}
			serverErr = e
		default:
			err := a.result(methodGSSAPIWithMIC, p)
			var fe *FailureError
			if serverErr != nil && errors.As(err, &fe) {
				// The server's reason is worth more than its FAILURE.
				serverErr.Err = err
				return nil, serverErr, serverErr
			}
			if err == nil {
				return nil, serverErr, &ProtocolError{Method: methodGSSAPIWithMIC, Reason: "USERAUTH_SUCCESS before the GSS-API context was established"}
			}
			return nil, serverErr, err
		}
	}
}

// micData is what the MIC of a method covers (RFC 4462 sections 3.5
// and 4).
func micData(sessionID []byte, user, method string) []byte {
	b := wire.AppendString(nil, sessionID)
	b = append(b, wire.MsgUserauthRequest)
	b = wire.AppendText(b, user)
	b = wire.AppendText(b, serviceConnection)
	return wire.AppendText(b, method)
}

const methodGSSAPIKeyex = "gssapi-keyex"

// GSSAPIKeyex authenticates user with the context of a GSS-API key
// exchange (RFC 4462 section 4): one request carrying a MIC over the
// session, no further round trip.
func GSSAPIKeyex(t Transport, user string, ctx gssapi.Context) error {
	return (&Authenticator{Transport: t, User: user}).GSSAPIKeyex(ctx)
}

// GSSAPIKeyex runs gssapi-keyex; see the function GSSAPIKeyex.
func (a *Authenticator) GSSAPIKeyex(ctx gssapi.Context) error {
	mic, err := ctx.GetMIC(micData(a.Transport.SessionID(), a.User, methodGSSAPIKeyex))
	if err != nil {
		return &GSSAPIError{Err: err}
	}
	req := appendRequestHeader(nil, a.User, methodGSSAPIKeyex)
	req = wire.AppendString(req, mic)
	if err := a.Transport.WritePacket(req); err != nil {
		return err
	}
	p, err := a.readPacket()
	if err != nil {
		return err
	}
	return a.result(methodGSSAPIKeyex, p)
}
