// Package gssapi is the small piece of GSS-API (RFC 2743) that SSH needs
// (RFC 4462): a mechanism that establishes a security context with the
// server as initiator, and the per-message integrity tokens (MICs) of
// that context. amiko's gssapi-with-mic user authentication and its
// GSS-API key exchange are written against these interfaces, so the
// mechanism can be pure Go (package gssapi/krb5, the default) or the
// system's GSS-API library.
//
// The package has no dependencies: importing it does not pull in a
// Kerberos implementation.
package gssapi

import (
	"context"
	"encoding/asn1"
	"errors"
)

// OIDKerberos5 is the Kerberos 5 GSS-API mechanism (RFC 1964, RFC 4121).
var OIDKerberos5 = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}

// Mechanism is a GSS-API mechanism on the initiator's side.
type Mechanism interface {
	// OID names the mechanism.
	OID() asn1.ObjectIdentifier
	// InitSecContext starts a security context with the service target,
	// a host-based service name such as "host@server.example.com"
	// (GSS_C_NT_HOSTBASED_SERVICE). Mutual authentication and integrity
	// are always requested; Delegate asks to forward the initiator's
	// credentials (a forwardable Kerberos TGT).
	//
	// Whatever the mechanism exchanges with others than the SSH server
	// (for Kerberos, the KDC, for the service ticket and a forwarded
	// TGT) happens here, and ctx bounds it: amiko passes the context of
	// the connection or authentication being made, so that a KDC that
	// does not answer cannot hold a Connect past its deadline. Step then
	// only makes and reads the tokens.
	InitSecContext(ctx context.Context, target string, opts ContextOptions) (Context, error)
}

// ContextOptions are the requests of InitSecContext.
type ContextOptions struct {
	Delegate bool
}

// Context is one security context being established or established.
type Context interface {
	// Step consumes the acceptor's token (nil on the first call) and
	// returns the token to send, if any, and whether the context is now
	// established. An error ends the context.
	Step(input []byte) (output []byte, established bool, err error)
	// GetMIC returns a MIC token over msg; VerifyMIC checks the
	// acceptor's. Both are valid once the context is established.
	GetMIC(msg []byte) ([]byte, error)
	VerifyMIC(msg, mic []byte) error
	// Delegated reports whether credentials were delegated.
	Delegated() bool
	// Close releases the context.
	Close() error
}

// Errors a mechanism returns, for errors.Is.
var (
	// ErrNoCredentials: the user has no credentials (no ticket cache,
	// no TGT).
	ErrNoCredentials = errors.New("gssapi: no credentials")
	// ErrExpired: the credentials or the context expired.
	ErrExpired = errors.New("gssapi: credentials expired")
	// ErrUnknownServer: the KDC knows no principal for the target.
	ErrUnknownServer = errors.New("gssapi: server principal unknown")
	// ErrBadMIC: a MIC token did not verify.
	ErrBadMIC = errors.New("gssapi: MIC does not verify")
	// ErrMutualFailed: the acceptor did not prove its identity.
	ErrMutualFailed = errors.New("gssapi: mutual authentication failed")
)
