package amiko

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/connection"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// Client is an SSH client in the shape of paramiko's SSHClient: host key
// stores, a policy for unknown hosts, and one connection at a time. Its
// methods are safe for concurrent use.
type Client struct {
	mu             sync.Mutex
	systemHostKeys HostKeyStore
	hostKeys       HostKeyStore
	policy         MissingHostKeyPolicy
	log            *slog.Logger

	conn *clientConn
}

// clientConn is one established connection: the transport and the
// channel multiplexer over it.
type clientConn struct {
	t               *transport.Conn
	mux             *connection.Conn
	channelTimeout  time.Duration
	authMethod      string // the method that succeeded, for ConnInfo
	agentForwarding sync.Once
	agentSocket     string // ConnectOptions.AgentSocket
	log             *slog.Logger

	// X11 forwardings granted (RequestX11Forwarding), oldest first.
	x11Mu     sync.Mutex
	x11Grants []*x11Grant

	// Remote listeners (Listen), by the port the server listens on.
	forwardsOnce sync.Once
	forwardsMu   sync.Mutex
	forwards     map[int]*remoteListener
}

// NewClient returns a Client with RejectPolicy, no system host keys and
// an empty local host key store in memory, as paramiko's SSHClient
// starts: load them with LoadSystemHostKeys and LoadHostKeys.
func NewClient() *Client {
	return &Client{policy: RejectPolicy{}, hostKeys: NewKnownHosts()}
}

// SetMissingHostKeyPolicy sets the policy for hosts in no host key store.
func (c *Client) SetMissingHostKeyPolicy(p MissingHostKeyPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p == nil {
		p = RejectPolicy{}
	}
	c.policy = p
}

// SetLogger sets where the client logs (paramiko's set_log_channel). No
// secret is ever logged.
func (c *Client) SetLogger(l *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = l
}

func (c *Client) logger() *slog.Logger {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.log
}

// SetSystemHostKeys and SetHostKeys replace the stores, for example with
// one shared by many clients.
func (c *Client) SetSystemHostKeys(s HostKeyStore) { c.mu.Lock(); c.systemHostKeys = s; c.mu.Unlock() }

// SetHostKeys replaces the local host key store (see SetSystemHostKeys).
func (c *Client) SetHostKeys(s HostKeyStore) { c.mu.Lock(); c.hostKeys = s; c.mu.Unlock() }

// addHostKey records key in the local host keys (AutoAddPolicy).
func (c *Client) addHostKey(host string, key ssh.PublicKey) error {
	c.mu.Lock()
	s := c.hostKeys
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Add(host, key)
}

// Algorithms are the algorithms negotiated for a connection; Out is
// client to server.
type Algorithms = transport.Algorithms

// ConnInfo describes an established connection: paramiko's Transport,
// seen from outside.
type ConnInfo struct {
	ServerVersion string
	ClientVersion string
	SessionID     []byte
	HostKey       ssh.PublicKey
	Algorithms    Algorithms
	StrictKex     bool
	RemoteAddr    net.Addr
	// AuthMethod is the authentication method that succeeded, with the
	// key it used: "publickey (id_ed25519)", "password", "none".
	AuthMethod string
}

// ConnInfo returns what was negotiated for the current connection, and
// false when there is none.
func (c *Client) ConnInfo() (ConnInfo, bool) {
	c.mu.Lock()
	cc := c.conn
	c.mu.Unlock()
	if cc == nil {
		return ConnInfo{}, false
	}
	t := cc.t
	return ConnInfo{
		ServerVersion: t.ServerVersion(),
		ClientVersion: t.ClientVersion(),
		SessionID:     t.SessionID(),
		HostKey:       t.HostKey(),
		Algorithms:    t.Algorithms(),
		StrictKex:     t.StrictKex(),
		RemoteAddr:    t.NetConn().RemoteAddr(),
		AuthMethod:    cc.authMethod,
	}, true
}

// Rekey starts a new key exchange (RFC 4253 section 9), as paramiko's
// Transport.renegotiate_keys and OpenSSH's ~R escape do. It returns once
// the exchange is asked for; the connection carries on meanwhile, its
// messages held until the new keys are in use. amiko also re-keys by
// itself within the limits of RFC 4344.
func (c *Client) Rekey() error {
	cc, err := c.active()
	if err != nil {
		return err
	}
	return asSSHError(cc.t.Rekey())
}

// Close closes the connection, including a Sock given to Connect.
func (c *Client) Close() error {
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if conn == nil {
		return nil
	}
	return conn.mux.Close()
}

// ErrNotConnected is returned by calls that need a connection on a
// Client that has none.
var ErrNotConnected = asSSHError(errors.New("ssh: client is not connected"))

// active returns the current connection.
func (c *Client) active() (*clientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil, ErrNotConnected
	}
	return c.conn, nil
}

// Wait blocks until the connection ends and returns why: nil after Close,
// a *KeepaliveError when the server stopped answering, or the transport's
// error.
func (c *Client) Wait() error {
	cc, err := c.active()
	if err != nil {
		return err
	}
	err = cc.mux.Wait()
	if errors.Is(err, connection.ErrClosed) {
		return nil
	}
	return asSSHError(err)
}

// Connect connects to hostname and authenticates (paramiko's
// SSHClient.connect): see ConnectOptions for every parameter. ctx bounds
// Connect only, not the life of the connection. A Client holds one
// connection: connecting again closes the previous one once the new one
// is authenticated; a failed Connect leaves the previous one as it was.
func (c *Client) Connect(ctx context.Context, hostname string, opts *ConnectOptions) error {
	if opts == nil {
		opts = &ConnectOptions{}
	}
	port := opts.Port
	if port == 0 {
		port = defaultPort
	}
	name := HostKeyName(hostname, port)
	user, cfg, err := c.prepare(name, opts)
	if err != nil {
		// A failed Connect closes the Sock it was given, whatever failed.
		if opts.Sock != nil {
			opts.Sock.Close()
		}
		return err
	}

	nc := opts.Sock
	if nc == nil {
		if nc, err = dial(ctx, hostname, port, opts.Timeout); err != nil {
			return err
		}
	}
	var gssTargetName string
	if opts.GSSAuth || opts.GSSKex {
		gssTargetName = "host@" + gssTarget(ctx, hostname, opts)
	}
	if opts.GSSKex {
		cfg.GSS = &transport.GSSConfig{Mechanism: opts.GSSMechanism, Target: gssTargetName,
			Delegate: !opts.DisableGSSDelegation, Methods: opts.PreferredAlgorithms.GSSKex}
	}
	remote := nc.RemoteAddr()
	cfg.HostKeyCallback = func(key ssh.PublicKey) error { return c.checkHostKey(ctx, name, remote, key) }
	// Timeout bounds the negotiation through cfg.HandshakeTimeout, which
	// ends it with a *TimeoutError naming the phase.
	t, err := transport.Client(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return asSSHError(err)
	}
	method, err := c.authenticate(ctx, t, user, gssTargetName, opts)
	if err != nil {
		t.Close()
		return err
	}
	mux := connection.NewWithConfig(t, connection.Config{
		MaxWindow:         opts.MaxWindow,
		KeepaliveInterval: opts.KeepaliveInterval,
		KeepaliveCountMax: opts.KeepaliveCountMax,
	})
	cc := &clientConn{t: t, mux: mux, authMethod: method, channelTimeout: durationOrDefault(opts.ChannelTimeout, defaultChannelTimeout), log: c.logger(), agentSocket: opts.AgentSocket}
	// Always handled, so that an x11 channel nobody asked for is refused
	// with a warning in the log, as OpenSSH's client warns.
	mux.HandleChannelOpen("x11", cc.x11Open)
	c.mu.Lock()
	old := c.conn
	c.conn = cc
	c.mu.Unlock()
	if old != nil {
		old.mux.Close()
	}
	return nil
}

// prepare checks opts before anything is sent and returns the user name
// and the transport's configuration.
func (c *Client) prepare(name string, opts *ConnectOptions) (string, *transport.Config, error) {
	user := opts.Username
	if user == "" {
		var err error
		if user, err = localUsername(); err != nil {
			return "", nil, err
		}
	}
	if (opts.GSSAuth || opts.GSSKex) && opts.GSSMechanism == nil {
		return "", nil, asSSHError(errors.New("ssh: GSS-API authentication and key exchange need ConnectOptions.GSSMechanism, such as gssapi/krb5.New()"))
	}
	cfg, err := c.transportConfig(name, opts)
	return user, cfg, err
}

// transportConfig builds the transport's configuration for host name.
func (c *Client) transportConfig(name string, opts *ConnectOptions) (*transport.Config, error) {
	p, err := opts.PreferredAlgorithms.lists()
	if err != nil {
		return nil, err
	}
	d := opts.DisabledAlgorithms
	cfg := &transport.Config{
		KexAlgorithms:     transport.RemoveDisabled(p.Kex, d.Kex),
		HostKeyAlgorithms: transport.RemoveDisabled(p.HostKeys, d.HostKeys),
		Ciphers:           transport.RemoveDisabled(p.Ciphers, d.Ciphers),
		MACs:              transport.RemoveDisabled(p.MACs, d.MACs),
		BannerTimeout:     opts.BannerTimeout,
		Logger:            c.logger(),
	}
	if opts.Compress {
		cfg.Compressions = transport.CompressedCompressions
	}
	if !opts.DisableKexGuess {
		cfg.KexGuesses, cfg.ServerName = kexGuesses, name
	}
	// Ask for the key types already known for this host first, so that a
	// server with several host keys presents one that can be checked.
	var known []string
	c.mu.Lock()
	for _, s := range []HostKeyStore{c.systemHostKeys, c.hostKeys} {
		if s != nil {
			known = append(known, s.KnownKeyTypes(name)...)
		}
	}
	c.mu.Unlock()
	cfg.KnownHostKeyTypes = known
	if opts.Timeout > 0 {
		// paramiko's timeout bounds the negotiation too (start_client).
		cfg.HandshakeTimeout = opts.Timeout
	}
	return cfg, nil
}

// kexGuesses remembers the servers this process connected to, for all
// of its Clients: each Client is one connection, and the guess pays off
// from the second connection to a server on.
var kexGuesses = transport.NewKexGuesses()

// lookupHost resolves a host name; tests replace it.
var lookupHost = net.DefaultResolver.LookupHost

// dial connects to every address of host in resolver order until one
// answers. A refused, unreachable or timed-out address moves on to the
// next, so a half-broken IPv6 network does not stop the connection.
func dial(ctx context.Context, host string, port int, timeout time.Duration) (net.Conn, error) {
	addrs, err := lookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	errs := map[string]error{}
	d := net.Dialer{Timeout: timeout}
	for _, a := range addrs {
		addr := net.JoinHostPort(a, strconv.Itoa(port))
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return nc, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs[addr] = err
	}
	return nil, &NoValidConnectionsError{Host: host, Port: port, Errors: errs}
}
