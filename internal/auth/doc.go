// Package auth implements the client side of the SSH user authentication
// protocol (RFC 4252) over an established transport: the ssh-userauth
// service request and the authentication methods none, password (with
// password change, RFC 4252 section 8), keyboard-interactive (RFC 4256)
// and publickey, in OpenSSH's host-bound form where the server offers it
// (OpenSSH PROTOCOL section 3.2).
//
// Each method is one function that sends its requests and reads the
// server's answers until success, failure or an error: nil when the
// server lets the user in; a *FailureError when it refuses, carrying the
// methods that may continue and whether this one was a partial success
// (one step of several, RFC 4252 section 5.1); anything else when the
// exchange broke (the transport's errors, a DISCONNECT among them, as
// they are; a server that breaks the protocol; a callback's error). An
// Authenticator runs the same methods and hands banners
// (SSH_MSG_USERAUTH_BANNER) to a callback.
//
// The order in which methods are tried, and which keys and secrets are
// used, is policy and belongs to the client package above.
package auth
