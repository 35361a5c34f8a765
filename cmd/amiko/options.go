package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// config holds the ssh options of one invocation, from -o and the flags
// that stand for options. As in OpenSSH, the first value given for an
// option wins (ssh_config(5): "the first obtained value will be used"),
// except that flags which OpenSSH assigns directly (-C, -c, -m, -A, ...)
// override; list options (IdentityFile, LocalForward, RemoteForward,
// DynamicForward) accumulate.
type config struct {
	set map[string]bool // lowercased names of options already given

	HostName              string
	Port                  int
	User                  string
	IdentityFiles         []string
	IdentitiesOnly        bool
	StrictHostKeyChecking string // "yes", "no", "ask" or "accept-new"
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	HostKeyAlias          string
	HashKnownHosts        bool
	ConnectTimeout        time.Duration
	BannerTimeout         time.Duration // 0: the library's default; <0: none
	BatchMode             bool
	PasswordAuth          bool
	KbdInteractiveAuth    bool
	PubkeyAuth            bool
	KexAlgorithms         string // OpenSSH list syntax, "" for the default
	Ciphers               string
	MACs                  string
	HostKeyAlgorithms     string
	PubkeyAlgorithms      string
	Compression           bool
	GSSAPIAuth            bool
	GSSAPIKeyExchange     bool
	GSSAPIDelegate        bool
	GSSAPIServerIdentity  string
	ServerAliveInterval   time.Duration
	ServerAliveCountMax   int
	ProxyCommand          string
	ProxyJump             string
	ForwardAgent          bool
	LocalForwards         []string // -L specs, colon form
	RemoteForwards        []string
	DynamicForwards       []string // -D specs, [bind_address:]port
	GatewayPorts          bool
	ExitOnForwardFailure  bool
	RequestTTY            string // "auto", "yes", "no" or "force"
	LogLevel              int    // logQuiet .. logDebug3
}

// Log levels, in OpenSSH's order.
const (
	logQuiet = iota
	logFatal
	logError
	logInfo
	logVerbose
	logDebug1
	logDebug2
	logDebug3
)

func newConfig() *config {
	return &config{
		set:                   map[string]bool{},
		StrictHostKeyChecking: "ask",
		UserKnownHostsFiles:   []string{"~/.ssh/known_hosts"},
		GlobalKnownHostsFiles: []string{"/etc/ssh/ssh_known_hosts"},
		PasswordAuth:          true,
		KbdInteractiveAuth:    true,
		PubkeyAuth:            true,
		ServerAliveCountMax:   3,
		RequestTTY:            "auto",
		LogLevel:              logInfo,
	}
}

// errBadOption is matched by every error about an option or its value.
var errBadOption = errors.New("bad option")

type optionError struct {
	name, value, why string
}

func (e *optionError) Error() string {
	if e.value == "" {
		return fmt.Sprintf("%s: %s", e.name, e.why)
	}
	return fmt.Sprintf("%s %q: %s", e.name, e.value, e.why)
}

func (e *optionError) Is(target error) bool { return target == errBadOption }

// parseOptionLine splits an -o argument: "Name=value", "Name value" or
// "Name = value". Quotes are left for each option to read: a path list
// keeps quoted paths whole, a ProxyCommand is taken as written.
func parseOptionLine(line string) (name, value string, err error) {
	line = strings.TrimSpace(line)
	i := strings.IndexAny(line, "= \t")
	if i < 0 {
		return "", "", &optionError{name: line, why: "missing value"}
	}
	name, rest := line[:i], strings.TrimLeft(line[i:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	if name == "" {
		return "", "", &optionError{name: line, why: "missing option name"}
	}
	if rest == "" {
		return "", "", &optionError{name: name, why: "missing value"}
	}
	return name, rest, nil
}

// apply sets option name (case-insensitive) from an -o argument: first
// value wins.
func (c *config) apply(line string) error {
	name, value, err := parseOptionLine(line)
	if err != nil {
		return err
	}
	return c.setOption(name, value, false)
}

// force sets option name, overriding an earlier value: for the flags
// that OpenSSH assigns directly.
func (c *config) force(name, value string) error {
	return c.setOption(name, value, true)
}

// setOption validates value and, if the option was not given yet (or
// override is set), stores it. A value given too late is still checked,
// as OpenSSH checks it.
func (c *config) setOption(name, value string, override bool) error {
	key := strings.ToLower(name)
	h, ok := optionTable[key]
	if !ok {
		if _, known := unsupportedOptions[key]; known {
			return &optionError{name: name, why: "not supported by amiko"}
		}
		return &optionError{name: name, why: "unknown option"}
	}
	assign := override || h.list || !c.set[key]
	if !h.raw {
		value = unquote(value)
	}
	if err := h.set(c, value, assign); err != nil {
		var oe *optionError
		if errors.As(err, &oe) {
			return err
		}
		return &optionError{name: name, value: value, why: err.Error()}
	}
	if assign {
		c.set[key] = true
	}
	return nil
}

// option parses one option's value into the config when assign is set.
type option struct {
	list bool // values accumulate
	raw  bool // the value is taken as written, quotes and all
	set  func(c *config, v string, assign bool) error
}

func boolOption(field func(*config) *bool) option {
	return option{set: func(c *config, v string, assign bool) error {
		b, err := parseYesNo(v)
		if err == nil && assign {
			*field(c) = b
		}
		return err
	}}
}

func stringOption(field func(*config) *string) option {
	return option{set: func(c *config, v string, assign bool) error {
		if assign {
			*field(c) = v
		}
		return nil
	}}
}

func durationOption(field func(*config) *time.Duration) option {
	return option{set: func(c *config, v string, assign bool) error {
		d, err := parseTime(v)
		if err == nil && assign {
			*field(c) = d
		}
		return err
	}}
}

func pathsOption(field func(*config) *[]string) option {
	return option{raw: true, set: func(c *config, v string, assign bool) error {
		paths, err := splitArgs(v)
		if err == nil && assign {
			*field(c) = paths
		}
		return err
	}}
}

func forwardOption(field func(*config) *[]string) option {
	return option{list: true, set: func(c *config, v string, assign bool) error {
		// ssh_config writes "[bind:]port host:hostport"; -L and -R
		// join the two with a colon.
		spec := strings.Join(strings.Fields(v), ":")
		if _, err := parseForward(spec); err != nil {
			return err
		}
		*field(c) = append(*field(c), spec)
		return nil
	}}
}

func algorithmsOption(field func(*config) *string) option {
	return option{set: func(c *config, v string, assign bool) error {
		if strings.ContainsAny(v, " \t") {
			return errors.New("algorithm lists are comma-separated, without spaces")
		}
		if assign {
			*field(c) = v
		}
		return nil
	}}
}

// optionTable lists the options amiko ssh understands, by lowercased
// name.
var optionTable = map[string]option{
	"hostname": stringOption(func(c *config) *string { return &c.HostName }),
	"port": {set: func(c *config, v string, assign bool) error {
		p, err := parsePort(v)
		if err == nil && assign {
			c.Port = p
		}
		return err
	}},
	"user": stringOption(func(c *config) *string { return &c.User }),
	"identityfile": {list: true, set: func(c *config, v string, _ bool) error {
		c.IdentityFiles = append(c.IdentityFiles, v)
		return nil
	}},
	"identitiesonly": boolOption(func(c *config) *bool { return &c.IdentitiesOnly }),
	"stricthostkeychecking": {set: func(c *config, v string, assign bool) error {
		var mode string
		switch strings.ToLower(v) {
		case "yes", "true":
			mode = "yes"
		case "no", "off", "false":
			mode = "no"
		case "ask":
			mode = "ask"
		case "accept-new":
			mode = "accept-new"
		default:
			return errors.New("want yes, no, ask or accept-new")
		}
		if assign {
			c.StrictHostKeyChecking = mode
		}
		return nil
	}},
	"userknownhostsfile":   pathsOption(func(c *config) *[]string { return &c.UserKnownHostsFiles }),
	"globalknownhostsfile": pathsOption(func(c *config) *[]string { return &c.GlobalKnownHostsFiles }),
	"hostkeyalias":         stringOption(func(c *config) *string { return &c.HostKeyAlias }),
	"hashknownhosts":       boolOption(func(c *config) *bool { return &c.HashKnownHosts }),
	"connecttimeout":       durationOption(func(c *config) *time.Duration { return &c.ConnectTimeout }),
	"bannertimeout": {set: func(c *config, v string, assign bool) error {
		d, err := parseTime(v)
		if err == nil && assign {
			c.BannerTimeout = d
			if d == 0 {
				c.BannerTimeout = -1 // 0 means none, as for ConnectTimeout
			}
		}
		return err
	}},
	"batchmode":                       boolOption(func(c *config) *bool { return &c.BatchMode }),
	"passwordauthentication":          boolOption(func(c *config) *bool { return &c.PasswordAuth }),
	"kbdinteractiveauthentication":    boolOption(func(c *config) *bool { return &c.KbdInteractiveAuth }),
	"challengeresponseauthentication": boolOption(func(c *config) *bool { return &c.KbdInteractiveAuth }),
	"pubkeyauthentication": {set: func(c *config, v string, assign bool) error {
		b, err := parseYesNo(v)
		if err != nil {
			// OpenSSH 9 also takes "unbound" and "host-bound": both
			// mean yes here (amiko uses host binding when offered).
			switch strings.ToLower(v) {
			case "unbound", "host-bound":
				b, err = true, nil
			}
		}
		if err == nil && assign {
			c.PubkeyAuth = b
		}
		return err
	}},
	"kexalgorithms":             algorithmsOption(func(c *config) *string { return &c.KexAlgorithms }),
	"ciphers":                   algorithmsOption(func(c *config) *string { return &c.Ciphers }),
	"macs":                      algorithmsOption(func(c *config) *string { return &c.MACs }),
	"hostkeyalgorithms":         algorithmsOption(func(c *config) *string { return &c.HostKeyAlgorithms }),
	"pubkeyacceptedalgorithms":  algorithmsOption(func(c *config) *string { return &c.PubkeyAlgorithms }),
	"pubkeyacceptedkeytypes":    algorithmsOption(func(c *config) *string { return &c.PubkeyAlgorithms }),
	"compression":               boolOption(func(c *config) *bool { return &c.Compression }),
	"gssapiauthentication":      boolOption(func(c *config) *bool { return &c.GSSAPIAuth }),
	"gssapikeyexchange":         boolOption(func(c *config) *bool { return &c.GSSAPIKeyExchange }),
	"gssapidelegatecredentials": boolOption(func(c *config) *bool { return &c.GSSAPIDelegate }),
	"gssapiserveridentity":      stringOption(func(c *config) *string { return &c.GSSAPIServerIdentity }),
	"serveraliveinterval":       durationOption(func(c *config) *time.Duration { return &c.ServerAliveInterval }),
	"serveralivecountmax": {set: func(c *config, v string, assign bool) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a count of zero or more")
		}
		if assign {
			c.ServerAliveCountMax = n
		}
		return nil
	}},
	"proxycommand": {raw: true, set: func(c *config, v string, assign bool) error {
		if assign {
			c.ProxyCommand = v
		}
		return nil
	}},
	"proxyjump": {set: func(c *config, v string, assign bool) error {
		if !strings.EqualFold(v, "none") {
			if _, err := parseJumps(v); err != nil {
				return err
			}
		}
		if assign {
			c.ProxyJump = v
		}
		return nil
	}},
	"dynamicforward": {list: true, set: func(c *config, v string, _ bool) error {
		if _, err := parseDynamicForward(v); err != nil {
			return err
		}
		c.DynamicForwards = append(c.DynamicForwards, v)
		return nil
	}},
	"forwardagent":         boolOption(func(c *config) *bool { return &c.ForwardAgent }),
	"localforward":         forwardOption(func(c *config) *[]string { return &c.LocalForwards }),
	"remoteforward":        forwardOption(func(c *config) *[]string { return &c.RemoteForwards }),
	"gatewayports":         boolOption(func(c *config) *bool { return &c.GatewayPorts }),
	"exitonforwardfailure": boolOption(func(c *config) *bool { return &c.ExitOnForwardFailure }),
	"requesttty": {set: func(c *config, v string, assign bool) error {
		mode := strings.ToLower(v)
		switch mode {
		case "true":
			mode = "yes"
		case "false":
			mode = "no"
		case "auto", "yes", "no", "force":
		default:
			return errors.New("want auto, yes, no or force")
		}
		if assign {
			c.RequestTTY = mode
		}
		return nil
	}},
	"loglevel": {set: func(c *config, v string, assign bool) error {
		levels := map[string]int{
			"quiet": logQuiet, "fatal": logFatal, "error": logError, "info": logInfo,
			"verbose": logVerbose, "debug": logDebug1, "debug1": logDebug1,
			"debug2": logDebug2, "debug3": logDebug3,
		}
		l, ok := levels[strings.ToLower(v)]
		if !ok {
			return errors.New("want QUIET, FATAL, ERROR, INFO, VERBOSE or DEBUG1 to DEBUG3")
		}
		if assign {
			c.LogLevel = l
		}
		return nil
	}},
}

// unsupportedOptions are OpenSSH options amiko ssh knows but does not
// implement: naming them gives a clearer error than "unknown".
var unsupportedOptions = map[string]struct{}{
	"addressfamily": {}, "bindaddress": {}, "bindinterface": {}, "certificatefile": {},
	"controlmaster": {}, "controlpath": {}, "controlpersist": {},
	"escapechar": {}, "forwardx11": {}, "forwardx11trusted": {}, "identityagent": {},
	"include": {}, "match": {}, "host": {}, "localcommand": {}, "permitlocalcommand": {},
	"remotecommand": {}, "sendenv": {}, "setenv": {}, "tunnel": {}, "tunneldevice": {},
	"updatehostkeys": {}, "verifyhostkeydns": {}, "visualhostkey": {}, "canonicalizehostname": {},
	"addkeystoagent": {}, "preferredauthentications": {}, "rekeylimit": {}, "ipqos": {},
	"tcpkeepalive": {}, "checkhostip": {}, "numberofpasswordprompts": {}, "sessiontype": {},
	"stdinnull": {}, "forkafterauthentication": {}, "streamlocalbindunlink": {},
}

// unquote removes double quotes around a whole value.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func parseYesNo(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true":
		return true, nil
	case "no", "false":
		return false, nil
	}
	return false, errors.New("want yes or no")
}

func parsePort(v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return 0, errors.New("want a port number from 1 to 65535")
	}
	return p, nil
}

// parseTime reads OpenSSH's time format (sshd_config(5) TIME FORMATS):
// a number of seconds, or numbers each with a unit s, m, h, d or w,
// such as "90", "1m30s" or "2h". "none" is zero.
func parseTime(v string) (time.Duration, error) {
	if strings.EqualFold(v, "none") {
		return 0, nil
	}
	units := map[byte]time.Duration{
		's': time.Second, 'S': time.Second, 'm': time.Minute, 'M': time.Minute,
		'h': time.Hour, 'H': time.Hour, 'd': 24 * time.Hour, 'D': 24 * time.Hour,
		'w': 7 * 24 * time.Hour, 'W': 7 * 24 * time.Hour,
	}
	bad := errors.New("want a time such as 30, 30s or 1m30s")
	if v == "" {
		return 0, bad
	}
	var total time.Duration
	for v != "" {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			return 0, bad
		}
		n, _ := strconv.Atoi(v[:i])
		unit := time.Second
		v = v[i:]
		if v != "" {
			u, ok := units[v[0]]
			if !ok {
				return 0, bad
			}
			unit, v = u, v[1:]
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// splitArgs splits a value at white space, keeping double-quoted parts
// together (a path with spaces in UserKnownHostsFile).
func splitArgs(v string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch == '"':
			inQuote, have = !inQuote, true
		case (ch == ' ' || ch == '\t') && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(ch)
			have = true
		}
	}
	if inQuote {
		return nil, errors.New("unterminated quote")
	}
	if have {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		return nil, errors.New("missing value")
	}
	return out, nil
}
