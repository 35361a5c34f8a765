package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FailureError is SSH_MSG_USERAUTH_FAILURE: the server refused the
// request made with Method, or accepted it as one step of several.
//
// Methods are the methods that may continue, as the server listed them.
// PartialSuccess means the request succeeded but the server requires
// more: one of Methods is next (RFC 4252 section 5.1).
type FailureError struct {
	// Method is the method that was refused: "none", "password",
	// "publickey" (also for its publickey-hostbound-v00@openssh.com
	// form, whose name no server lists), "keyboard-interactive".
	Method         string
	Methods        []string
	PartialSuccess bool
}

func (e *FailureError) Error() string {
	if e.PartialSuccess {
		return fmt.Sprintf("ssh: %s authentication partially succeeded; the server requires one of [%s] next",
			e.Method, strings.Join(e.Methods, ","))
	}
	return fmt.Sprintf("ssh: %s authentication failed; the server allows [%s]", e.Method, strings.Join(e.Methods, ","))
}

// Allows reports whether the server listed method among those that may
// continue.
func (e *FailureError) Allows(method string) bool { return slices.Contains(e.Methods, method) }

// PasswordChangeError reports that the server accepted the password but
// requires a new one (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ, RFC 4252 section
// 8), and Password was given no callback to choose one.
type PasswordChangeError struct {
	// Prompt is the server's message, as it sent it.
	Prompt string
}

func (e *PasswordChangeError) Error() string {
	return fmt.Sprintf("ssh: the password has expired and must be changed (the server says %q)", e.Prompt)
}

// LimitError reports a server that asked for more than amiko allows: too
// many prompts in a keyboard-interactive round, too many rounds, too many
// password change requests. The limits are far above what real servers
// send; they keep a hostile server from making the client allocate or
// loop without end.
type LimitError struct {
	Method string // "keyboard-interactive" or "password"
	What   string // what was counted, e.g. "prompts in one round"
	Count  uint64 // what the server asked for (at least Limit+1)
	Limit  uint64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("ssh: %s authentication: the server asked for %d %s; at most %d are allowed",
		e.Method, e.Count, e.What, e.Limit)
}

// ProtocolError reports a server that broke the authentication protocol
// during Method: a message that has no place in the exchange (an
// INFO_REQUEST in answer to "none", a SUCCESS in answer to a query), or
// an answer to another question (a PK_OK for another key).
type ProtocolError struct {
	Method string
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("ssh: %s authentication: protocol error: %s", e.Method, e.Reason)
}

func unexpected(method string, msg byte) error {
	return &ProtocolError{Method: method, Reason: fmt.Sprintf("unexpected message %d from the server", msg)}
}

// ErrNotPasswordPrompt is returned by the answerer of PasswordAnswerer
// for a keyboard-interactive round that asks more than one question: it
// cannot be a password prompt.
var ErrNotPasswordPrompt = errors.New("ssh: keyboard-interactive asks more than a password")

// SignerError reports a key that cannot make a signature the server
// accepts: an RSA signer that cannot choose rsa-sha2-256 or rsa-sha2-512
// (amiko never falls back to SHA-1 ssh-rsa silently), or a server whose
// server-sig-algs allows neither.
type SignerError struct {
	KeyType string
	Reason  string
}

func (e *SignerError) Error() string { return "ssh: " + e.KeyType + " key: " + e.Reason }
