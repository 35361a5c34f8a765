package main

import (
	"fmt"
	"strings"
)

// leg is one connection on the way to the destination: a jump host or
// the destination itself, with the configuration for it.
type leg struct {
	name string // as the command line or ProxyJump named it, for messages
	jump bool
	hop  hop     // where to connect and as whom, after HostName, Port and User
	cfg  *config // with its tokens expanded
}

// wrap names the jump host an error happened on.
func (l *leg) wrap(err error) error {
	if !l.jump {
		return err
	}
	return &hopError{hop: l.name, host: l.hop.Host, err: err}
}

// maxJumps bounds a chain of jump hosts, which ssh_config can make
// endless: a jump host whose own ProxyJump leads back.
const maxJumps = 16

// route works out the connections to make, first to last, as OpenSSH's
// ssh does for ProxyJump "a,b": it connects to the destination through
// "ssh -l user -p port -J a -W dest:port b", so that b is configured by
// the files for b (its HostName, IdentityFile, ...), with the jump
// spec's user and port first and the rest of the list as its
// ProxyJump; a, the first, takes its own ProxyJump or ProxyCommand from
// the files in turn.
//
// Unlike OpenSSH, which gives the jump hosts' ssh only -F and -v,
// amiko lets the command line's options apply to every hop (as before
// it read any config file), but for those that say where and as whom to
// connect and how to get there: HostName, Port, User, HostKeyAlias,
// ProxyJump and ProxyCommand.
func (inv *invocation) route() ([]leg, error) {
	dest := leg{name: inv.dest.String(), cfg: inv.cfg}
	if err := dest.resolve(inv.dest.Host, inv.env); err != nil {
		return nil, err
	}
	if rc := dest.cfg.RemoteCommand; rc != "" && !strings.EqualFold(rc, "none") && !inv.noCommand && inv.stdioTarget == "" {
		inv.command = []string{rc}
	}
	legs := []leg{dest}
	for cur := dest.cfg; ; {
		pj := cur.ProxyJump
		if pj == "" || strings.EqualFold(pj, "none") {
			break
		}
		if len(legs) > maxJumps {
			return nil, &optionError{name: "ProxyJump", why: fmt.Sprintf("more than %d jump hosts: do the config files' ProxyJump lines make a loop?", maxJumps)}
		}
		rest, last := "", pj
		if i := strings.LastIndexByte(pj, ','); i >= 0 {
			rest, last = pj[:i], pj[i+1:]
		}
		jumps, err := parseJumps(last) // checked when the option was read
		if err != nil {
			return nil, err
		}
		l := leg{name: jumps[0].String(), jump: true}
		if l.cfg, err = inv.jumpConfig(jumps[0], rest); err != nil {
			return nil, l.wrap(err)
		}
		if err := l.resolve(jumps[0].Host, inv.env); err != nil {
			return nil, l.wrap(err)
		}
		legs = append([]leg{l}, legs...)
		cur = l.cfg
	}
	return legs, nil
}

// jumpConfig is the configuration for jump host j: the command line's
// options but those that belong to the destination, j's user and port,
// rest (the jump hosts before j) as its ProxyJump, then the files for
// j's host.
func (inv *invocation) jumpConfig(j hop, rest string) (*config, error) {
	c := inv.cmdline.clone()
	fresh := newConfig()
	c.HostName, c.Port, c.User, c.HostKeyAlias = fresh.HostName, fresh.Port, fresh.User, fresh.HostKeyAlias
	c.ProxyJump, c.ProxyCommand = fresh.ProxyJump, fresh.ProxyCommand
	for _, k := range []string{"hostname", "port", "user", "hostkeyalias", "proxyjump", "proxycommand"} {
		delete(c.set, k)
	}
	if j.User != "" {
		c.first("User", j.User)
	}
	if j.Port != 0 {
		c.first("Port", fmt.Sprint(j.Port))
	}
	if rest != "" {
		if err := c.first("ProxyJump", rest); err != nil {
			return nil, err
		}
	}
	if err := readConfig(c, j.Host, inv.files, inv.env); err != nil {
		return nil, err
	}
	return c, nil
}

// resolve works out where the leg connects and as whom, and expands
// the tokens of its options: HostName's %h, then, with the host, port
// and user known, IdentityFile, UserKnownHostsFile, IdentityAgent,
// RemoteCommand and ProxyCommand. original is the host as named.
func (l *leg) resolve(original string, env *localEnv) error {
	c := l.cfg
	host := original
	if c.HostName != "" {
		var err error
		if host, err = expandHostName(c.HostName, original); err != nil {
			return err
		}
	}
	host = strings.ToLower(host) // as ssh.c does before connecting
	if err := checkHostName(host); err != nil {
		return &optionError{name: "HostName", value: c.HostName, why: err.Error()}
	}
	user := c.User
	if user == "" {
		user = env.user
	}
	l.hop = hop{User: user, Host: host, Port: c.Port}
	t := env.tokens(host, original, portOr22(c.Port), user, c.HostKeyAlias)
	expandAll := func(name string, values []string) error {
		for i, v := range values {
			if strings.EqualFold(v, "none") {
				continue
			}
			x, err := t.expandPath(v)
			if err != nil {
				return &optionError{name: name, value: v, why: err.Error()}
			}
			values[i] = x
		}
		return nil
	}
	if err := expandAll("IdentityFile", c.IdentityFiles); err != nil {
		return err
	}
	if err := expandAll("UserKnownHostsFile", c.UserKnownHostsFiles); err != nil {
		return err
	}
	switch a := c.IdentityAgent; {
	case a == "" || a == "none" || a == "SSH_AUTH_SOCK":
	case strings.HasPrefix(a, "$") && !strings.HasPrefix(a, "${"):
		c.IdentityAgent = env.getenv(a[1:]) // OpenSSH's older $VAR form
		if c.IdentityAgent == "" {
			c.IdentityAgent = "none"
		}
	default:
		x, err := t.expandPath(a)
		if err != nil {
			return &optionError{name: "IdentityAgent", value: a, why: err.Error()}
		}
		c.IdentityAgent = x
	}
	if c.IdentityAgent == "none" {
		c.ForwardAgent = false // OpenSSH unsets SSH_AUTH_SOCK: there is no agent to forward
	}
	for _, x := range []struct {
		name    string
		v       *string
		allowed string
	}{{"ProxyCommand", &c.ProxyCommand, proxyTokens}, {"RemoteCommand", &c.RemoteCommand, pathTokens}} {
		if *x.v == "" || strings.EqualFold(*x.v, "none") {
			continue
		}
		e, err := t.expand(*x.v, x.allowed, false)
		if err != nil {
			return &optionError{name: x.name, value: *x.v, why: err.Error()}
		}
		*x.v = e
	}
	if c.PreferredAuths != "" {
		// amiko tries methods in its own order; the list says which.
		methods := strings.Split(c.PreferredAuths, ",")
		has := func(m string) bool {
			for _, x := range methods {
				if strings.EqualFold(strings.TrimSpace(x), m) {
					return true
				}
			}
			return false
		}
		c.PubkeyAuth = c.PubkeyAuth && has("publickey")
		c.PasswordAuth = c.PasswordAuth && has("password")
		c.KbdInteractiveAuth = c.KbdInteractiveAuth && has("keyboard-interactive")
		c.GSSAPIAuth = c.GSSAPIAuth && has("gssapi-with-mic")
	}
	return nil
}
