// Package auth implements the client side of the SSH user authentication
// protocol (RFC 4252) over an established transport: the ssh-userauth
// service request and the authentication methods.
//
// Each method is one function that sends its requests and reads the
// server's answers until success, failure or an error. The order in which
// methods are tried, and which keys and secrets are used, is policy and
// belongs to the client package above.
package auth
