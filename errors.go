package amiko

import (
	"context"
	"errors"
	"fmt"
	"github.com/amiko-ssh/amiko/internal/connection"
	"net"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// ErrSSH is matched (errors.Is) by every SSH-level error amiko returns:
// paramiko's SSHException. Network errors from dialing are not SSH errors
// and do not match it, as socket.error is not an SSHException.
var ErrSSH = errors.New("ssh")

// Transport errors, for errors.As.
type (
	// ProtocolError is a violation of the SSH protocol by the server.
	ProtocolError = transport.ProtocolError
	// NegotiationError: the server shares no algorithm of a category.
	NegotiationError = transport.NegotiationError
	// DisconnectError is a DISCONNECT message from the server, with its
	// reason code and text.
	DisconnectError = transport.DisconnectError
	// TimeoutError: the banner, the handshake or the server's answer to an
	// authentication request took too long.
	TimeoutError = transport.TimeoutError
)

// SignerError reports a key that cannot sign as the server requires, such
// as an RSA signer that cannot choose rsa-sha2-256 or rsa-sha2-512. The
// cascade notes it and goes on.
type SignerError = auth.SignerError

// sshError marks err as an SSH-level error (ErrSSH) while keeping it
// reachable for errors.As.
type sshError struct{ err error }

func (e *sshError) Error() string        { return e.err.Error() }
func (e *sshError) Unwrap() error        { return e.err }
func (e *sshError) Is(target error) bool { return target == ErrSSH }

// asSSHError wraps err unless it already matches ErrSSH or is the
// context's error, which callers compare with context.Canceled and
// context.DeadlineExceeded. A network error during the SSH negotiation
// is wrapped: paramiko raises SSHException for those too.
func asSSHError(err error) error {
	if err == nil || errors.Is(err, ErrSSH) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &sshError{err}
}

// BadHostKeyError reports a known host that presented a key not listed for
// it (paramiko's BadHostKeyException).
type BadHostKeyError struct {
	Host      string          // "host" or "[host]:port"
	Presented ssh.PublicKey   // the key the server presented
	Expected  []ssh.PublicKey // the keys known for the host
}

func (e *BadHostKeyError) Error() string {
	exp := make([]string, len(e.Expected))
	for i, k := range e.Expected {
		exp[i] = k.Type() + " " + ssh.FingerprintSHA256(k)
	}
	return fmt.Sprintf("ssh: host key for %s does not match: got %s %s, expected %s",
		e.Host, e.Presented.Type(), ssh.FingerprintSHA256(e.Presented), strings.Join(exp, " or "))
}

// Is matches ErrSSH.
func (e *BadHostKeyError) Is(target error) bool { return target == ErrSSH }

// UnknownHostError is RejectPolicy's answer for a host in no host key
// store.
type UnknownHostError struct {
	Host string
	Key  ssh.PublicKey
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("ssh: server %s not found in known_hosts (%s key %s)", e.Host, e.Key.Type(), ssh.FingerprintSHA256(e.Key))
}

// Is matches ErrSSH.
func (e *UnknownHostError) Is(target error) bool { return target == ErrSSH }

// AuthAttempt is one authentication attempt and why it did not succeed.
type AuthAttempt struct {
	Method string // "publickey", "password", "keyboard-interactive", "gssapi-with-mic", ...
	Source string // the key file, "agent: <fingerprint>", or "" for passwords
	Err    error
}

func (a AuthAttempt) String() string {
	s := a.Method
	if a.Source != "" {
		s += " (" + a.Source + ")"
	}
	return s + ": " + a.Err.Error()
}

// AuthenticationError reports that no method authenticated the user
// (paramiko's AuthenticationException). Unlike paramiko, which reports
// only the last failure, it lists every attempt.
type AuthenticationError struct {
	User     string
	Allowed  []string // the methods the server still allows
	Attempts []AuthAttempt
}

func (e *AuthenticationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ssh: authentication failed for %q; the server allows [%s]", e.User, strings.Join(e.Allowed, ","))
	if len(e.Attempts) == 0 {
		b.WriteString("; no authentication method was available to try")
	}
	for _, a := range e.Attempts {
		b.WriteString("; ")
		b.WriteString(a.String())
	}
	return b.String()
}

// Is matches ErrSSH.
func (e *AuthenticationError) Is(target error) bool { return target == ErrSSH }

// NoValidConnectionsError reports that every address of the host failed
// to connect (paramiko's NoValidConnectionsError). It is a network error,
// not an SSH error.
type NoValidConnectionsError struct {
	Host   string
	Port   int
	Errors map[string]error // by address
}

func (e *NoValidConnectionsError) Error() string {
	addrs := make([]string, 0, len(e.Errors))
	for a := range e.Errors {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	var b strings.Builder
	fmt.Fprintf(&b, "ssh: unable to connect to port %d on %s:", e.Port, e.Host)
	for _, a := range addrs {
		fmt.Fprintf(&b, " %s: %v;", a, e.Errors[a])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Unwrap returns every address's error.
func (e *NoValidConnectionsError) Unwrap() []error {
	errs := make([]error, 0, len(e.Errors))
	for _, err := range e.Errors {
		errs = append(errs, err)
	}
	return errs
}

// PassphraseRequiredError reports a key file that is encrypted while no
// passphrase (and no password) was given to unlock it (paramiko's
// PasswordRequiredException).
type PassphraseRequiredError struct {
	File string
}

func (e *PassphraseRequiredError) Error() string {
	return fmt.Sprintf("ssh: private key %s is encrypted and no passphrase was given", e.File)
}

// Is matches ErrSSH.
func (e *PassphraseRequiredError) Is(target error) bool { return target == ErrSSH }

var _ net.Error = (*TimeoutError)(nil)

// KeepaliveError ends a connection whose server stopped answering
// keepalives (ConnectOptions.KeepaliveInterval).
type KeepaliveError = connection.KeepaliveError

// OpenChannelError is the server's refusal to open a channel: a dial
// through the server to an address it cannot reach, say.
type OpenChannelError = connection.OpenChannelError

// GSSKexError is a GSS-API key exchange that failed: in the mechanism
// (no ticket, an expired one at a rekey, a server MIC that does not
// verify) or on the server (its KEXGSS_ERROR text is in Server).
type GSSKexError = transport.GSSKexError
