package amiko

import (
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/transport"

	"golang.org/x/crypto/ssh"
)

// ConnectOptions are the parameters of Connect. The zero value of every
// field means paramiko's default, so options that paramiko turns on by
// default (the agent, key discovery, credential delegation) are switched
// off by a Disable field.
type ConnectOptions struct {
	// Port is the server's port; 0 means 22.
	Port int
	// Username defaults to the local user: LOGNAME, USER, LNAME or
	// USERNAME from the environment (as Python's getpass does), then the
	// account database.
	Username string
	// Password is tried for password (and keyboard-interactive)
	// authentication last, and unlocks encrypted key files when
	// Passphrase is empty.
	Password string
	// EmptyPassword tries the empty password when Password is empty: Go's
	// "" cannot say what paramiko's password="" (not None) says. For
	// devices and containers with a blank password.
	EmptyPassword bool
	// Passphrase unlocks encrypted key files.
	Passphrase string
	// PKey is a key to authenticate with first: any ssh.Signer, so agent
	// keys, hardware keys and certificates (ssh.NewCertSigner) fit.
	PKey ssh.Signer
	// KeyFilenames are private key files to try, after PKey. A
	// "-cert.pub" file beside a key is loaded with it; a name ending in
	// "-cert.pub" loads the key beside it.
	KeyFilenames []string

	// Timeout bounds the TCP connect to each address and the SSH
	// negotiation after it, counted from the start of the negotiation,
	// the banner included (a *TimeoutError), as paramiko's timeout bounds
	// start_client. Zero means none for the TCP connect (paramiko's
	// timeout=None), while the negotiation after the server's version
	// line keeps the transport's 15 s bound. The context's deadline
	// applies as well. Time spent in the missing host key policy does not
	// count: it may ask a person (the policy is given the context).
	Timeout time.Duration
	// BannerTimeout bounds the wait for the server's version line. Zero
	// means paramiko's 15 seconds; negative means none (then only Timeout
	// or the context bounds the wait, as OpenSSH's ssh waits without
	// ConnectTimeout). A Timeout shorter than it still applies.
	BannerTimeout time.Duration
	// AuthTimeout bounds each wait for the server's answer during
	// authentication, and each GSS-API exchange with the KDC, as
	// paramiko's auth_timeout bounds each request: a server that does not
	// answer in time ends Connect with a *TimeoutError whose Phase is
	// "authentication". Time on our side (a password or passphrase typed
	// by a person, keyboard-interactive answers, an agent asking to
	// confirm a signature) does not count. The context's end interrupts
	// the connection and the agent's; the callbacks get no context, and
	// Connect returns when the one running does.
	// Zero means paramiko's 30 seconds; negative means none.
	AuthTimeout time.Duration
	// ChannelTimeout bounds opening a channel. Zero means paramiko's
	// 3600 seconds; negative means none.
	ChannelTimeout time.Duration

	// KeepaliveInterval, if positive, probes a server that was silent
	// that long with keepalive@openssh.com; after more than
	// KeepaliveCountMax (3 if zero) unanswered probes the connection
	// ends with a *KeepaliveError. OpenSSH's ServerAliveInterval and
	// ServerAliveCountMax; paramiko's Transport.set_keepalive. Zero
	// means none. A negative KeepaliveCountMax sends no probe: the first
	// interval with nothing from the server ends the connection, as
	// OpenSSH's ServerAliveCountMax 0 does.
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
	// MaxWindow caps each channel's receive window, which grows from
	// 2 MiB while the server is limited by it; zero means 32 MiB, which
	// carries about 600 MB/s at a 50 ms round trip. A larger cap helps
	// downloads over longer round trips; the window grows only while a
	// measured round trip shows it limits the server, so the memory is
	// used only where it buys speed.
	MaxWindow uint32

	// DisableAgent turns off keys from the SSH agent (paramiko's
	// allow_agent=False).
	DisableAgent bool
	// AgentSocket is the SSH agent's socket, for its keys and for agent
	// forwarding on this connection (OpenSSH's IdentityAgent); empty
	// means the SSH_AUTH_SOCK of the environment. Programs that connect
	// with several agents at once set it rather than the environment,
	// which is the whole process's.
	AgentSocket string
	// DisableKeyDiscovery turns off trying ~/.ssh/id_rsa, id_dsa,
	// id_ecdsa and id_ed25519 (paramiko's look_for_keys=False).
	DisableKeyDiscovery bool

	// Compress asks for compression: zlib@openssh.com, zlib, none.
	Compress bool

	// DisableKexGuess keeps the first key exchange message from going
	// out with KEXINIT as a guess (RFC 4253 section 7). amiko guesses
	// only where the last connection to this host name and port in the
	// same process showed it would be right, and only for servers known
	// to ignore a wrong guess as the RFC says (OpenSSH, dropbear,
	// golang.org/x/crypto/ssh); it saves one round trip.
	DisableKexGuess bool

	// Sock, if set, is the connection to the server: nothing is dialed.
	// It may be any net.Conn, for example one dialed through another
	// SSH connection (a jump host). Close closes it, as paramiko does.
	Sock net.Conn

	// GSSAuth turns on gssapi-with-mic authentication, tried first, and
	// GSSKex GSS-API key exchange. Both need GSSMechanism.
	// DisableGSSDelegation keeps the Kerberos credentials from being
	// delegated (paramiko's gss_deleg_creds=False). GSSHost names the
	// target in the Kerberos database: the service is host@GSSHost, by
	// default host@ the host name canonicalized by DNS (paramiko's
	// gss_trust_dns), or as given with DisableGSSTrustDNS.
	GSSAuth              bool
	GSSKex               bool
	DisableGSSDelegation bool
	GSSHost              string
	DisableGSSTrustDNS   bool
	// GSSMechanism is the GSS-API mechanism: the one gssapi/krb5.New returns for
	// Kerberos in pure Go. amiko's root package imports no Kerberos
	// implementation, so the choice is the caller's.
	GSSMechanism gssapi.Mechanism

	// PassphraseCallback, if set, is asked for the passphrase of an
	// encrypted key file that neither Passphrase nor Password unlocks.
	PassphraseCallback func(keyFile string) (string, error)
	// PasswordCallback, if set, Password empty and EmptyPassword false, is
	// asked for the password when the cascade reaches password
	// authentication.
	PasswordCallback func() (string, error)
	// KeyboardInteractive, if set, answers keyboard-interactive prompts
	// (RFC 4256) after the password; each answer goes with its prompt.
	KeyboardInteractive func(name, instruction string, prompts []Prompt) ([]string, error)

	// PreferredAlgorithms replaces amiko's preference lists, by
	// category and in order (OpenSSH's KexAlgorithms, Ciphers, ...).
	// Naming a legacy algorithm here (ssh-rsa, aes128-cbc,
	// diffie-hellman-group14-sha1, ...) is the explicit opt-in it needs.
	// An empty category keeps amiko's defaults.
	PreferredAlgorithms PreferredAlgorithms
	// DisabledAlgorithms removes algorithms, by category, from the
	// preferences (paramiko's disabled_algorithms). * and ? patterns are
	// allowed.
	DisabledAlgorithms DisabledAlgorithms
}

// Prompt is one keyboard-interactive question; Echo says whether the
// answer may be shown as it is typed.
type Prompt = auth.Prompt

// DisabledAlgorithms lists algorithm names (or patterns) not to use.
type DisabledAlgorithms struct {
	Kex      []string
	HostKeys []string
	Ciphers  []string
	MACs     []string
	// PublicKeys are the user key algorithms not to sign with, e.g.
	// "rsa-sha2-512" (paramiko's "pubkeys").
	PublicKeys []string
}

// PreferredAlgorithms lists algorithm names in order of preference.
// PublicKeys are the user key signature algorithms amiko may sign with
// (OpenSSH's PubkeyAcceptedAlgorithms): keys of other types are skipped,
// and RSA keys sign with the rsa-sha2 algorithms listed. Two legacy
// algorithms are used only when listed here: ssh-rsa (RSA with SHA-1,
// tried after the rsa-sha2 ones listed, and first with a server that
// sends no server-sig-algs) and ssh-dss (DSA keys; x/crypto reads them
// from PEM files only).
type PreferredAlgorithms struct {
	Kex        []string
	HostKeys   []string
	Ciphers    []string
	MACs       []string
	PublicKeys []string
	// GSSKex are the GSS-API key exchange families offered with GSSKex,
	// without the mechanism suffix: "gss-curve25519-sha256-", ...
	// (OpenSSH's GSSAPIKexAlgorithms). gss-group14-sha1- and
	// gss-gex-sha1- are legacy opt-ins.
	GSSKex []string
}

// lists returns the lists to offer: amiko's defaults where p names none.
// A name amiko does not implement is an error, not a silent no.
func (p PreferredAlgorithms) lists() (PreferredAlgorithms, error) {
	out := PreferredAlgorithms{PublicKeys: p.PublicKeys, GSSKex: p.GSSKex}
	for _, c := range []struct {
		cat      transport.Category
		what     string
		in       []string
		defaults []string
		out      *[]string
	}{
		{transport.CategoryKex, "key exchange", p.Kex, transport.DefaultKexAlgorithms, &out.Kex},
		{transport.CategoryHostKey, "host key", p.HostKeys, transport.DefaultHostKeyAlgorithms, &out.HostKeys},
		{transport.CategoryCipher, "cipher", p.Ciphers, transport.DefaultCiphers, &out.Ciphers},
		{transport.CategoryMAC, "MAC", p.MACs, transport.DefaultMACs, &out.MACs},
	} {
		if len(c.in) == 0 {
			*c.out = c.defaults
			continue
		}
		for _, name := range c.in {
			if !transport.Supported(c.cat, name) {
				return out, asSSHError(fmt.Errorf("ssh: %s algorithm %q is not implemented", c.what, name))
			}
		}
		*c.out = slices.Clone(c.in) // the caller's may change; ours are shared, read only
	}
	return out, nil
}

const (
	defaultPort           = 22
	defaultAuthTimeout    = 30 * time.Second
	defaultChannelTimeout = time.Hour
)

func durationOrDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
