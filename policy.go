package amiko

import (
	"context"
	"log/slog"
	"net"

	"golang.org/x/crypto/ssh"
)

// MissingHostKeyPolicy decides what to do about a server whose host name
// is in no host key store (paramiko's MissingHostKeyPolicy). Returning
// nil accepts the key for this connection.
type MissingHostKeyPolicy interface {
	MissingHostKey(ctx context.Context, c *Client, host string, remote net.Addr, key ssh.PublicKey) error
}

// PolicyFunc makes a function a MissingHostKeyPolicy. host is "host" for
// port 22 and "[host]:port" otherwise.
type PolicyFunc func(ctx context.Context, host string, remote net.Addr, key ssh.PublicKey) error

// MissingHostKey calls f.
func (f PolicyFunc) MissingHostKey(ctx context.Context, _ *Client, host string, remote net.Addr, key ssh.PublicKey) error {
	return f(ctx, host, remote, key)
}

// RejectPolicy refuses unknown hosts: the default.
type RejectPolicy struct{}

// MissingHostKey returns an *UnknownHostError.
func (RejectPolicy) MissingHostKey(_ context.Context, _ *Client, host string, _ net.Addr, key ssh.PublicKey) error {
	return &UnknownHostError{Host: host, Key: key}
}

// AutoAddPolicy accepts unknown hosts and adds their key to the client's
// host keys, saving them to the file they were loaded from, if any.
type AutoAddPolicy struct{}

// MissingHostKey adds the key and saves.
func (AutoAddPolicy) MissingHostKey(_ context.Context, c *Client, host string, _ net.Addr, key ssh.PublicKey) error {
	c.logger().Debug("ssh: adding host key", "host", host, "type", key.Type(), "fingerprint", ssh.FingerprintSHA256(key))
	return c.addHostKey(host, key)
}

// WarningPolicy logs a warning about unknown hosts and accepts them for
// this connection without saving their key. The warning goes to the
// client's logger, or to slog's default logger (standard error, unless
// the program changed it) when none is set, as paramiko's goes to
// Python's warnings.
type WarningPolicy struct{}

// MissingHostKey logs and accepts.
func (WarningPolicy) MissingHostKey(_ context.Context, c *Client, host string, _ net.Addr, key ssh.PublicKey) error {
	log := slog.Default()
	c.mu.Lock()
	if c.log != nil {
		log = c.log
	}
	c.mu.Unlock()
	log.Warn("ssh: unknown host key", "host", host, "type", key.Type(), "fingerprint", ssh.FingerprintSHA256(key))
	return nil
}

// HostKeyCallbackPolicy adapts an x/crypto/ssh HostKeyCallback as the
// policy for unknown hosts.
func HostKeyCallbackPolicy(cb ssh.HostKeyCallback) MissingHostKeyPolicy {
	return PolicyFunc(func(_ context.Context, host string, remote net.Addr, key ssh.PublicKey) error {
		return cb(host, remote, key)
	})
}
