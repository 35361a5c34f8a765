package amiko

import (
	"context"
	"errors"
	"net"
	"strconv"

	"golang.org/x/crypto/ssh"
)

// HostKeyStore is a set of known host keys. Many clients may share one:
// implementations are safe for concurrent use.
type HostKeyStore interface {
	// Check returns nil if key is known for host (listed, or a host
	// certificate signed by a listed authority), a *BadHostKeyError if
	// the host is known with other keys, an *UnknownHostError if the
	// store knows nothing of the host, and any other error for a key
	// that must be refused whatever the policy (a revoked key).
	Check(host string, key ssh.PublicKey) error
	// KnownKeyTypes returns the key types known for host, so that the
	// server is asked for one of them first.
	KnownKeyTypes(host string) []string
	// Add records key for host.
	Add(host string, key ssh.PublicKey) error
}

// HostKeyName is the name a host's keys are filed under: "host" for port
// 22, "[host]:port" otherwise, as OpenSSH and paramiko write known_hosts.
func HostKeyName(host string, port int) string {
	if port == 0 || port == defaultPort {
		return host
	}
	return "[" + host + "]:" + strconv.Itoa(port)
}

// checkHostKey checks key against the system and the local host keys,
// and turns to the policy for a host neither knows. A key listed in
// either store is accepted, as OpenSSH accepts one listed in any of its
// files (paramiko consults the local keys only for a host the system
// keys do not name), unless either store revokes it: a revocation
// anywhere wins. A store's other refusal (a host certificate not valid
// for the host) stands when no store vouches for the key. A host known
// with other keys only is a *BadHostKeyError naming every key expected.
func (c *Client) checkHostKey(ctx context.Context, host string, remote net.Addr, key ssh.PublicKey) error {
	c.mu.Lock()
	stores := []HostKeyStore{c.systemHostKeys, c.hostKeys}
	policy := c.policy
	c.mu.Unlock()
	accepted := false
	var refused error
	var bad *BadHostKeyError
	for _, s := range stores {
		if s == nil {
			continue
		}
		err := s.Check(host, key)
		var b *BadHostKeyError
		var u *UnknownHostError
		var r *RevokedHostKeyError
		switch {
		case err == nil:
			accepted = true
		case errors.As(err, &b):
			if bad == nil {
				bad = &BadHostKeyError{Host: host, Presented: key}
			}
			bad.Expected = append(bad.Expected, b.Expected...)
		case errors.As(err, &u):
		case errors.As(err, &r):
			return asSSHError(err)
		case refused == nil:
			refused = err
		}
	}
	switch {
	case accepted:
		return nil
	case refused != nil:
		return asSSHError(refused)
	case bad != nil:
		return bad
	}
	return policy.MissingHostKey(ctx, c, host, remote, key)
}
