package transport

import (
	"io"
	"log/slog"
	"time"

	"golang.org/x/crypto/ssh"
)

// Version is amiko's software version as sent in the version line.
const Version = "0.1"

// Default timeouts, paramiko's.
const (
	DefaultBannerTimeout    = 15 * time.Second
	DefaultHandshakeTimeout = 15 * time.Second
)

// Config configures the client side of a transport. The zero value of each
// field is its default.
type Config struct {
	// SoftwareVersion goes into the version line after "SSH-2.0-"
	// (default "amiko_" + Version). SoftwareVersion is applied to it.
	SoftwareVersion string

	// Preference lists; nil means the Default* list. Legacy algorithms
	// must be listed explicitly.
	KexAlgorithms     []string
	HostKeyAlgorithms []string
	Ciphers           []string
	MACs              []string
	Compressions      []string
	// KnownHostKeyTypes are the key types already known for the server
	// (ssh.PublicKey.Type); every KEXINIT asks for them first (see
	// PreferHostKeyAlgorithms).
	KnownHostKeyTypes []string

	// HostKeyCallback decides whether to trust the server's host key. It
	// is called once, after the key's signature over the first exchange
	// hash has been verified; on rekey the server must present the same
	// key. It must be set.
	HostKeyCallback func(key ssh.PublicKey) error

	// BannerTimeout bounds the wait for the server's version line,
	// counted from the start of Client. HandshakeTimeout, if set, bounds
	// the whole first key exchange from the start, the banner included;
	// zero means 15 s for the negotiation after the version line, so that
	// a longer BannerTimeout is not cut short. Zero BannerTimeout means
	// 15 s; negative means none, for either. Time spent in
	// HostKeyCallback does not count (it may ask a person). A context
	// deadline given to Client applies as well.
	BannerTimeout    time.Duration
	HandshakeTimeout time.Duration
	// defaultHandshakeTimeout replaces DefaultHandshakeTimeout, for tests.
	defaultHandshakeTimeout time.Duration

	// RekeyBytes is the traffic in one direction after which a new key
	// exchange starts. Zero means OpenSSH's default for the cipher: 2^32
	// blocks for 16-byte block ciphers, 1 GiB for others.
	RekeyBytes uint64
	// RekeyInterval, if positive, also starts one after this much time.
	RekeyInterval time.Duration

	// Rand is the source of randomness for key exchange and the padding
	// seed; nil means crypto/rand.
	Rand io.Reader

	// Logger receives debug logs of the negotiation; nil means none.
	Logger *slog.Logger

	// KexGuesses, if set, remembers the servers' preferences by
	// ServerName, and the first key exchange with a server whose first
	// kex and host key algorithms were ours last time sends its first
	// kex message with our KEXINIT, a round trip sooner.
	KexGuesses *KexGuesses
	// ServerName names the server for KexGuesses (amiko uses its
	// known_hosts name, "[host]:port" or host).
	ServerName string

	// GSS, if set, offers GSS-API key exchange first (RFC 4462 section
	// 2), and the "null" host key algorithm last. A server authenticated
	// by it is not given to HostKeyCallback.
	GSS *GSSConfig
}

func orDefault(l, def []string) []string {
	if l == nil {
		return def
	}
	return l
}

func timeoutOrDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
