// Package demo is `amiko demo`: it starts an SSH server inside the
// process (golang.org/x/crypto/ssh's, on 127.0.0.1 with an ephemeral
// port, keys generated in a temporary directory) and walks amiko's
// connect end to end against it, printing each step: an unknown host
// rejected, auto-add writing known_hosts, a mismatched key refused, key
// authentication, password fallback, a command's exit status, and an
// SFTP round trip checked by SHA-256.
//
// It needs no setup, no SSH server on the machine, no root, and never
// touches the user's ~/.ssh or agent: every connect disables the agent
// and key discovery and names its user, its keys and its known_hosts.
package demo
