package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/amiko-ssh/amiko"
)

// chain is the connection to the destination and to every jump host on
// the way, in order.
type chain struct {
	clients []*amiko.Client
	// changed is set when StrictHostKeyChecking=no let a changed host
	// key through on some hop: agent and port forwarding are off.
	changed bool
}

// dest is the client connected to the destination.
func (c *chain) dest() *amiko.Client { return c.clients[len(c.clients)-1] }

// Close closes the connections from the destination back: each one
// runs over a channel of the one before it.
func (c *chain) Close() {
	for i := len(c.clients) - 1; i >= 0; i-- {
		c.clients[i].Close()
	}
}

// hopError names the jump host a failure happened on.
type hopError struct {
	hop  string // as -J named it
	host string
	err  error
}

func (e *hopError) Error() string { return "jump host " + e.hop + ": " + e.err.Error() }
func (e *hopError) Unwrap() error { return e.err }

// connect connects to the destination, through the jump hosts and the
// first one's ProxyCommand if any, each with its own configuration
// (route).
func (r *runner) connect(ctx context.Context, inv *invocation, log *slog.Logger) (*chain, error) {
	legs, err := inv.route()
	if err != nil {
		return nil, err
	}
	home := r.home()
	// Everything that can fail without the network comes first, so that
	// no connection is left open by it.
	files := make([]*knownHostsFiles, len(legs))
	algorithms := make([]amiko.PreferredAlgorithms, len(legs))
	loaded := map[string]*knownHostsFiles{}
	for i, l := range legs {
		for _, n := range l.cfg.notes {
			log.Debug(n)
		}
		// Hops that name the same files share them, so that a key one
		// adds is seen by the next.
		key := fmt.Sprintf("%q %q %v", l.cfg.GlobalKnownHostsFiles, l.cfg.UserKnownHostsFiles, l.cfg.HashKnownHosts)
		if files[i] = loaded[key]; files[i] == nil {
			if files[i], err = loadKnownHostsFiles(l.cfg, home); err != nil {
				return nil, l.wrap(err)
			}
			loaded[key] = files[i]
		}
		if algorithms[i], err = preferredAlgorithms(l.cfg); err != nil {
			return nil, l.wrap(err)
		}
	}

	ch := &chain{}
	var sock net.Conn
	if first := legs[0]; first.cfg.ProxyCommand != "" && !strings.EqualFold(first.cfg.ProxyCommand, "none") {
		command := first.cfg.ProxyCommand // expanded by route
		log.Debug("amiko: executing proxy command", "command", command)
		if sock, err = amiko.ProxyCommand(ctx, command); err != nil {
			return nil, first.wrap(fmt.Errorf("proxy command %q: %w", command, err))
		}
	}
	agent := agentSocketSetter()
	for i, l := range legs {
		final := i == len(legs)-1
		agent(l.cfg.IdentityAgent)
		client, changed, err := r.connectHop(ctx, l.cfg, l.hop, sock, files[i], algorithms[i], home, log)
		if err != nil {
			ch.Close()
			return nil, l.wrap(err)
		}
		ch.clients = append(ch.clients, client)
		ch.changed = ch.changed || changed
		if final {
			break
		}
		next := legs[i+1].hop
		addr := net.JoinHostPort(next.Host, strconv.Itoa(portOr22(next.Port)))
		log.Debug("amiko: opening a channel to the next hop", "through", l.name, "to", addr)
		if sock, err = client.Dial(ctx, "tcp", addr); err != nil {
			ch.Close()
			return nil, l.wrap(err)
		}
	}
	return ch, nil
}

// agentSocketSetter returns a function that points SSH_AUTH_SOCK, which
// the library reads, at a hop's IdentityAgent before it connects: the
// environment's own value for none given, as OpenSSH's ssh sets its
// environment. What the destination's sets stays, for agent
// forwarding. ("none" is DisableAgent, in connectOptions.)
func agentSocketSetter() func(identityAgent string) {
	orig, had := os.LookupEnv("SSH_AUTH_SOCK")
	return func(identityAgent string) {
		switch {
		case identityAgent != "" && identityAgent != "none" && identityAgent != "SSH_AUTH_SOCK":
			os.Setenv("SSH_AUTH_SOCK", identityAgent)
		case had:
			os.Setenv("SSH_AUTH_SOCK", orig)
		default:
			os.Unsetenv("SSH_AUTH_SOCK")
		}
	}
}

// connectHop connects one client over sock (nil: dial) to h, with the
// configuration for h: the destination's, or a jump host's (route).
func (r *runner) connectHop(ctx context.Context, cfg *config, h hop, sock net.Conn,
	files *knownHostsFiles, algorithms amiko.PreferredAlgorithms, home string, log *slog.Logger) (*amiko.Client, bool, error) {
	store := &hostKeys{files: files, alias: cfg.HostKeyAlias, allowChanged: cfg.StrictHostKeyChecking == "no"}
	store.onChanged = func(bad *amiko.BadHostKeyError) {
		if cfg.LogLevel >= logError {
			fmt.Fprint(r.stderr, changedKeyWarning(bad, store.savePath()))
		}
	}
	var ask prompter
	if !cfg.BatchMode {
		ask = r.ask
	}
	client := amiko.NewClient()
	client.SetHostKeys(store)
	client.SetMissingHostKeyPolicy(&hostKeyPolicy{mode: cfg.StrictHostKeyChecking, store: store, ask: ask, info: r.infof(cfg)})
	client.SetLogger(log.With("host", h.Host))

	user := r.userFor(h)
	o := r.connectOptions(cfg, h, user, home)
	// A key file that is not there is a warning, and left out, as in
	// OpenSSH's ssh (load_public_identity_files).
	o.KeyFilenames = slices.DeleteFunc(o.KeyFilenames, func(f string) bool {
		_, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			r.infof(cfg)("Warning: Identity file %s not accessible: %s.", printable(f), printable(errors.Unwrap(err).Error()))
			return true
		}
		return false
	})
	o.Sock, o.PreferredAlgorithms = sock, algorithms
	if o.GSSAuth || o.GSSKex {
		// Kerberos (newGSSMechanism), from KRB5_CONFIG and KRB5CCNAME. Without
		// it, GSS-API is skipped, as OpenSSH skips it without a ticket.
		mech, err := newGSSMechanism()
		if err != nil {
			log.Debug("amiko: GSS-API off", "err", err)
			o.GSSAuth, o.GSSKex = false, false
		}
		o.GSSMechanism = mech
	}
	if ask != nil {
		o.PassphraseCallback = func(file string) (string, error) {
			s, err := ask.ReadSecret(fmt.Sprintf("Enter passphrase for key '%s': ", file))
			if errors.Is(err, errInterrupted) {
				return "", err
			}
			return s, nil // a failed prompt skips the key, as an empty answer does
		}
	}
	if cfg.PasswordAuth {
		o.PasswordCallback = func() (string, error) {
			if store.hostKeyChanged() {
				return "", nil // OpenSSH: no password to a changed host key
			}
			if p := r.getenv("AMIKO_PASSWORD"); p != "" {
				log.Debug("amiko: password from AMIKO_PASSWORD")
				return p, nil
			}
			if ask == nil {
				return "", nil
			}
			s, err := ask.ReadSecret(fmt.Sprintf("%s@%s's password: ", user, h.Host))
			if errors.Is(err, errInterrupted) {
				return "", err
			}
			return s, nil
		}
	}
	if cfg.KbdInteractiveAuth && ask != nil {
		o.KeyboardInteractive = func(name, instruction string, prompts []amiko.Prompt) ([]string, error) {
			if store.hostKeyChanged() {
				return nil, errKbdInteractiveOff
			}
			return answerPrompts(ask, name, instruction, prompts)
		}
	}
	log.Debug("amiko: connecting", "host", h.Host, "port", o.Port, "user", user)
	if err := client.Connect(ctx, h.Host, o); err != nil {
		return nil, false, err // a failed Connect has closed sock
	}
	if info, ok := client.ConnInfo(); ok {
		log.Debug("amiko: authenticated", "host", h.Host, "server", info.ServerVersion)
	}
	return client, store.hostKeyChanged(), nil
}

// connectOptions maps the config to the library's options for hop h,
// but for the callbacks, the sock and the algorithms.
func (r *runner) connectOptions(cfg *config, h hop, user, home string) *amiko.ConnectOptions {
	o := &amiko.ConnectOptions{
		Port:                 portOr22(h.Port),
		Username:             user,
		Timeout:              cfg.ConnectTimeout,
		BannerTimeout:        cfg.BannerTimeout,
		Compress:             cfg.Compression,
		GSSAuth:              cfg.GSSAPIAuth,
		GSSKex:               cfg.GSSAPIKeyExchange,
		DisableGSSDelegation: !cfg.GSSAPIDelegate,
		GSSHost:              cfg.GSSAPIServerIdentity,
		// OpenSSH's GSSAPITrustDns defaults to no: the name as given.
		DisableGSSTrustDNS: !cfg.GSSAPITrustDNS,
		Passphrase:         r.getenv("AMIKO_PASSPHRASE"),
		// OpenSSH offers agent keys unless IdentitiesOnly, and the
		// default key files only when no IdentityFile is given.
		DisableAgent:        cfg.IdentitiesOnly || !cfg.PubkeyAuth || cfg.IdentityAgent == "none",
		DisableKeyDiscovery: len(cfg.IdentityFiles) > 0 || !cfg.PubkeyAuth,
	}
	// ServerAliveCountMax=0 sends no keepalive and leaves at the first
	// silent interval (OpenSSH's server_alive_check): the library's
	// negative count; its zero would mean 3.
	if cfg.ServerAliveInterval > 0 {
		o.KeepaliveInterval, o.KeepaliveCountMax = cfg.ServerAliveInterval, cfg.ServerAliveCountMax
		if cfg.ServerAliveCountMax == 0 {
			o.KeepaliveCountMax = -1
		}
	}
	if cfg.PubkeyAuth {
		// Expanded by route; a config no route went through (tests)
		// gets ~ at least.
		for _, f := range cfg.IdentityFiles {
			if !strings.EqualFold(f, "none") { // "none": no file, and no default ones either
				o.KeyFilenames = append(o.KeyFilenames, expandTilde(f, home))
			}
		}
	}
	return o
}

// errKbdInteractiveOff ends authentication that reached
// keyboard-interactive on a connection whose host key changed.
var errKbdInteractiveOff = errors.New("keyboard-interactive authentication is disabled because the host key changed")

// answerPrompts asks keyboard-interactive questions on the terminal.
func answerPrompts(ask prompter, name, instruction string, prompts []amiko.Prompt) ([]string, error) {
	header := ""
	if name != "" {
		header += printable(name) + "\n"
	}
	if instruction != "" {
		header += printable(instruction) + "\n"
	}
	answers := make([]string, len(prompts))
	for i, p := range prompts {
		q := header + printable(p.Text)
		header = ""
		var err error
		if p.Echo {
			answers[i], err = ask.ReadLine(q)
		} else {
			answers[i], err = ask.ReadSecret(q)
		}
		if err != nil {
			return nil, err
		}
	}
	return answers, nil
}

// userFor is the user to log in to h as: its own, or the local user
// (the library's default, from the environment).
func (r *runner) userFor(h hop) string {
	if h.User != "" {
		return h.User
	}
	for _, v := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if u := r.getenv(v); u != "" {
			return u
		}
	}
	return "" // the library looks the account up
}

func (r *runner) home() string {
	if h := r.getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func portOr22(p int) int {
	if p == 0 {
		return 22
	}
	return p
}

// infof returns a printer for OpenSSH's informational messages
// ("Warning: Permanently added ..."), silent below LogLevel INFO (-q).
func (r *runner) infof(cfg *config) func(string, ...any) {
	return func(format string, args ...any) {
		if cfg.LogLevel >= logInfo {
			fmt.Fprintf(r.stderr, format+"\n", args...)
		}
	}
}
