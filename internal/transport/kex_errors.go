package transport

import "fmt"

// KexError reports a key exchange that failed: the server sent something
// the method rejects (a malformed or unexpected message, a public value out
// of range or off the curve, a group it did not ask for), or the client's
// own randomness or settings failed. Match it with errors.As; Err, when
// set, is the underlying error (a *wire.ParseError, a crypto/ecdh or
// crypto/mlkem error, or the rand reader's error).
//
// Errors from the connection itself (kexTransport's writePacket and
// readPacket) are returned as they are, not wrapped in a KexError.
type KexError struct {
	Method string // the key exchange method, e.g. "curve25519-sha256"
	Reason string // what went wrong, for people
	Err    error  // the underlying error, or nil
}

func (e *KexError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("ssh: key exchange %s: %s: %v", e.Method, e.Reason, e.Err)
	}
	return fmt.Sprintf("ssh: key exchange %s: %s", e.Method, e.Reason)
}

func (e *KexError) Unwrap() error { return e.Err }

func kexErrorf(method string, err error, format string, args ...any) *KexError {
	return &KexError{Method: method, Reason: fmt.Sprintf(format, args...), Err: err}
}
