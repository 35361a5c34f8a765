package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amiko-ssh/amiko/internal/knownhosts"
)

// config holds the ssh options of one connection: the command line's
// (-o and the flags that stand for options), then ssh_config's for the
// host. As in OpenSSH, the first value obtained for an option wins
// (ssh_config(5): "the first obtained value will be used"), except that
// flags which OpenSSH assigns directly (-C, -c, -m, -A, ...) override;
// list options (IdentityFile, LocalForward, RemoteForward,
// DynamicForward) accumulate.
type config struct {
	set map[string]bool // lowercased names of options already given

	HostName              string
	Port                  int
	User                  string
	IdentityFiles         []string
	IdentitiesOnly        bool
	IdentityAgent         string // "" (SSH_AUTH_SOCK), "none", "SSH_AUTH_SOCK", a path or $VAR
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
	PreferredAuths        string // OpenSSH's PreferredAuthentications, "" for all
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
	GSSAPITrustDNS        bool
	ServerAliveInterval   time.Duration
	ServerAliveCountMax   int
	ProxyCommand          string
	ProxyJump             string
	ForwardAgent          bool
	ForwardX11            bool // -X, -Y
	ForwardX11Trusted     bool // -Y
	ForwardX11Timeout     time.Duration
	LocalForwards         []string // -L specs, colon form
	RemoteForwards        []string
	DynamicForwards       []string // -D specs, [bind_address:]port
	ClearAllForwardings   bool
	GatewayPorts          bool
	ExitOnForwardFailure  bool
	RequestTTY            string // "auto", "yes", "no" or "force"
	SessionType           string // "default", "none" (-N) or "subsystem" (-s)
	StdinNull             bool   // -n
	RemoteCommand         string
	// SendEnv are patterns of local environment variables to send;
	// SetEnv, NAME=VALUE pairs (the first SetEnv line obtained).
	SendEnv       []string
	SetEnv        []string
	EscapeChar    string // "~", another character, "^X" or "none" (-e)
	LogLevel      int    // logQuiet .. logDebug3
	IgnoreUnknown string // a pattern list of unknown keywords a config file may use

	// unimplemented holds what config files set for options amiko
	// knows from OpenSSH but does not implement: the value that
	// applies (the first) and where it was set. checkUnimplemented
	// decides whether each can be ignored.
	unimplemented map[string]fileValue
	// notes are debug lines about the reading of config files, for -v.
	notes []string
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
		ForwardX11Timeout:     20 * time.Minute, // OpenSSH's
		SessionType:           "default",
		EscapeChar:            "~",
		LogLevel:              logInfo,
	}
}

// clone returns a copy that shares nothing with c.
func (c *config) clone() *config {
	d := *c
	d.set = maps.Clone(c.set)
	d.IdentityFiles = slices.Clone(c.IdentityFiles)
	d.UserKnownHostsFiles = slices.Clone(c.UserKnownHostsFiles)
	d.GlobalKnownHostsFiles = slices.Clone(c.GlobalKnownHostsFiles)
	d.LocalForwards = slices.Clone(c.LocalForwards)
	d.RemoteForwards = slices.Clone(c.RemoteForwards)
	d.DynamicForwards = slices.Clone(c.DynamicForwards)
	d.unimplemented = maps.Clone(c.unimplemented)
	d.notes = slices.Clone(c.notes)
	return &d
}

// errBadOption is matched by every error about an option or its value.
var errBadOption = errors.New("bad option")

// optionError is a bad option or value: on the command line, or at
// where (file and line) in a config file.
type optionError struct {
	where, name, value, why string
}

func (e *optionError) Error() string {
	s := e.why
	switch {
	case e.name != "" && e.value != "":
		s = fmt.Sprintf("%s %q: %s", e.name, e.value, e.why)
	case e.name != "":
		s = e.name + ": " + e.why
	}
	if e.where != "" {
		s = e.where + ": " + s
	}
	return s
}

func (e *optionError) Is(target error) bool { return target == errBadOption }

// splitKeyword splits an option line, from -o or a config file, into
// its keyword and the rest, as OpenSSH's strdelim does: the keyword
// ends at white space or at one "=", which may have white space around
// it ("Name=value", "Name value", "Name = value"). A blank line gives
// an empty keyword.
func splitKeyword(line string) (keyword, rest string) {
	line = strings.Trim(line, " \t\r\n\f")
	i := strings.IndexAny(line, " \t\r\n=")
	if i < 0 {
		return line, ""
	}
	keyword, rest = line[:i], strings.TrimLeft(line[i+1:], " \t\r\n")
	if line[i] != '=' && strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
	}
	return keyword, rest
}

// splitArgv splits an option's arguments as OpenSSH's argv_split does:
// at unquoted blanks; "double" or 'single' quotes group; a backslash
// escapes a quote, a backslash, or (unquoted) a space; an unquoted "#"
// that starts an argument ends the line.
func splitArgv(s string) ([]string, error) {
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var arg strings.Builder
		quote := byte(0)
	token:
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) &&
				(s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' '):
				i++
				arg.WriteByte(s[i])
			case quote == 0 && (c == ' ' || c == '\t'):
				break token
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				arg.WriteByte(c)
			}
		}
		if quote != 0 {
			return nil, errors.New("invalid quotes")
		}
		args = append(args, arg.String())
	}
	return args, nil
}

// setMode says what setOption does with a valid value.
type setMode int

const (
	setFirst setMode = iota // store it unless the option was given: -o, config files
	setForce                // store it: the flags that OpenSSH assigns directly
	setCheck                // only check it: a config file block that does not apply
)

// apply sets an option from an -o argument ("Name=value", "Name value"):
// first value wins. Options amiko does not implement are refused here,
// never ignored; config files are more lenient (see fileOption).
func (c *config) apply(line string) error {
	keyword, rest := splitKeyword(line)
	key := strings.ToLower(keyword)
	switch {
	case keyword == "":
		return &optionError{name: line, why: "missing option name"}
	case rest == "":
		return &optionError{name: keyword, why: "missing value"}
	case key == "host" || key == "match" || key == "include":
		return &optionError{name: keyword, why: "not supported as a command-line option"}
	}
	if _, ok := optionTable[key]; !ok {
		if _, known := unimplementedOptions[key]; known {
			return &optionError{name: keyword, why: "not supported by amiko"}
		}
		if c.ignoredUnknown(key) {
			return nil
		}
		return &optionError{name: keyword, why: "unknown option"}
	}
	return c.setLine("", keyword, rest, setFirst)
}

// force sets an option from a flag that OpenSSH assigns directly,
// overriding an earlier value.
func (c *config) force(name, value string) error {
	return c.setOption("", name, []string{value}, setForce)
}

// first sets an option from a flag whose first value wins (-l, -p) or
// that accumulates (-i, -L, -R, -D); the argument is taken whole.
func (c *config) first(name, value string) error {
	return c.setOption("", name, []string{value}, setFirst)
}

// setLine sets option keyword (known to optionTable) from the rest of
// its line, split into arguments unless the option takes the line as
// written.
func (c *config) setLine(where, keyword, rest string, mode setMode) error {
	if optionTable[strings.ToLower(keyword)].raw {
		return c.setOption(where, keyword, []string{rest}, mode)
	}
	args, err := splitArgv(rest)
	if err != nil {
		return &optionError{where: where, name: keyword, why: err.Error()}
	}
	return c.setOption(where, keyword, args, mode)
}

// setOption checks option name's arguments and stores them as mode
// says. A value given too late is still checked, as OpenSSH checks it.
func (c *config) setOption(where, name string, args []string, mode setMode) error {
	key := strings.ToLower(name)
	h, ok := optionTable[key]
	if !ok {
		return &optionError{where: where, name: name, why: "unknown option"}
	}
	if len(args) == 0 {
		return &optionError{where: where, name: name, why: "missing value"}
	}
	assign := mode == setForce || mode == setFirst && (h.list || !c.set[key])
	if err := h.set(c, args, assign); err != nil {
		return &optionError{where: where, name: name, value: strings.Join(args, " "), why: err.Error()}
	}
	if assign && !(h.none && strings.EqualFold(args[0], "none")) {
		c.set[key] = true
	}
	return nil
}

// ignoredUnknown reports whether IgnoreUnknown lists keyword.
func (c *config) ignoredUnknown(key string) bool {
	return c.IgnoreUnknown != "" && matchPatternList(key, c.IgnoreUnknown, true) == 1
}

// option parses one option's arguments into the config when assign is
// set.
type option struct {
	list bool // values accumulate
	raw  bool // takes the rest of the line as written: a command
	// none leaves the option unset: OpenSSH's time options store
	// "none" as their unset value, so a later line still sets them.
	none bool
	set  func(c *config, args []string, assign bool) error
}

// errExtraArguments is OpenSSH's "extra arguments at end of line".
var errExtraArguments = errors.New("extra arguments at end of line (quote a value with spaces)")

// oneArg is the single argument of most options.
func oneArg(args []string) (string, error) {
	if len(args) > 1 {
		return "", errExtraArguments
	}
	if args[0] == "" {
		return "", errors.New("empty value")
	}
	return args[0], nil
}

// valueOption is an option of one argument, parsed by parse and stored
// by store.
func valueOption[T any](parse func(string) (T, error), store func(*config, T)) option {
	return option{set: func(c *config, args []string, assign bool) error {
		v, err := oneArg(args)
		if err != nil {
			return err
		}
		x, err := parse(v)
		if err == nil && assign {
			store(c, x)
		}
		return err
	}}
}

func boolOption(field func(*config) *bool) option {
	return valueOption(parseYesNo, func(c *config, b bool) { *field(c) = b })
}

func stringOption(field func(*config) *string) option {
	return valueOption(func(v string) (string, error) { return v, nil }, func(c *config, v string) { *field(c) = v })
}

// durationOption is an OpenSSH time. "none" is OpenSSH's unset value:
// it leaves the default, and a later line may still set the option.
func durationOption(field func(*config) *time.Duration) option {
	o := valueOption(parseTime, func(c *config, d time.Duration) { *field(c) = d })
	set := o.set
	o.set = func(c *config, args []string, assign bool) error {
		return set(c, args, assign && !strings.EqualFold(args[0], "none"))
	}
	o.none = true
	return o
}

// choiceOption takes one of choices (lowercased); aliases maps other
// spellings to them.
func choiceOption(field func(*config) *string, aliases map[string]string, choices ...string) option {
	return valueOption(func(v string) (string, error) {
		v = strings.ToLower(v)
		if a, ok := aliases[v]; ok {
			v = a
		}
		if !slices.Contains(choices, v) {
			return "", fmt.Errorf("want %s", strings.Join(choices, ", "))
		}
		return v, nil
	}, func(c *config, v string) { *field(c) = v })
}

// pathsOption is a list of files given on one line; "none" must stand
// alone, as in OpenSSH.
func pathsOption(field func(*config) *[]string) option {
	return option{set: func(c *config, args []string, assign bool) error {
		for _, p := range args {
			if p == "" {
				return errors.New("empty file name")
			}
			if strings.EqualFold(p, "none") && len(args) > 1 {
				return errors.New(`"none" must appear alone`)
			}
		}
		if assign {
			*field(c) = slices.Clone(args)
		}
		return nil
	}}
}

// listOption accumulates values, each checked by check; a value given
// twice is kept once, as OpenSSH does (a config read twice, for Match
// final, adds nothing).
func listOption(field func(*config) *[]string, check func(string) error) option {
	return option{list: true, set: func(c *config, args []string, assign bool) error {
		v, err := oneArg(args)
		if err != nil {
			return err
		}
		if err := check(v); err != nil {
			return err
		}
		if assign && !slices.Contains(*field(c), v) {
			*field(c) = append(*field(c), v)
		}
		return nil
	}}
}

func forwardOption(field func(*config) *[]string) option {
	return option{list: true, set: func(c *config, args []string, assign bool) error {
		// ssh_config writes "[bind:]port host:hostport"; -L and -R
		// join the two with a colon.
		if len(args) > 2 {
			return errExtraArguments
		}
		spec := strings.Join(args, ":")
		if _, err := parseForward(spec); err != nil {
			return err
		}
		if assign && !slices.Contains(*field(c), spec) {
			*field(c) = append(*field(c), spec)
		}
		return nil
	}}
}

func algorithmsOption(field func(*config) *string) option {
	return option{set: func(c *config, args []string, assign bool) error {
		if len(args) > 1 {
			return errors.New("algorithm lists are comma-separated, without spaces")
		}
		if assign {
			*field(c) = args[0]
		}
		return nil
	}}
}

// commandOption takes the rest of the line as written: a shell command.
func commandOption(field func(*config) *string) option {
	return option{raw: true, set: func(c *config, args []string, assign bool) error {
		if assign {
			*field(c) = args[0]
		}
		return nil
	}}
}

// optionTable lists the options amiko ssh understands, by lowercased
// name: on the command line (-o) and in config files alike.
var optionTable = map[string]option{
	"hostname": stringOption(func(c *config) *string { return &c.HostName }),
	"port":     valueOption(parsePort, func(c *config, p int) { c.Port = p }),
	"user":     stringOption(func(c *config) *string { return &c.User }),
	"identityfile": listOption(func(c *config) *[]string { return &c.IdentityFiles },
		func(string) error { return nil }),
	"identityfile2": listOption(func(c *config) *[]string { return &c.IdentityFiles },
		func(string) error { return nil }),
	"identitiesonly": boolOption(func(c *config) *bool { return &c.IdentitiesOnly }),
	"identityagent": valueOption(func(v string) (string, error) {
		if strings.HasPrefix(v, "$") && !strings.HasPrefix(v, "${") && !validEnvName(v[1:]) {
			return "", errors.New("invalid environment variable name")
		}
		return v, nil
	}, func(c *config, v string) { c.IdentityAgent = v }),
	"stricthostkeychecking": choiceOption(func(c *config) *string { return &c.StrictHostKeyChecking },
		map[string]string{"true": "yes", "false": "no", "off": "no"}, "yes", "no", "ask", "accept-new"),
	"userknownhostsfile":   pathsOption(func(c *config) *[]string { return &c.UserKnownHostsFiles }),
	"globalknownhostsfile": pathsOption(func(c *config) *[]string { return &c.GlobalKnownHostsFiles }),
	"hostkeyalias":         stringOption(func(c *config) *string { return &c.HostKeyAlias }),
	"hashknownhosts":       boolOption(func(c *config) *bool { return &c.HashKnownHosts }),
	"connecttimeout":       durationOption(func(c *config) *time.Duration { return &c.ConnectTimeout }),
	"bannertimeout": valueOption(parseTime, func(c *config, d time.Duration) {
		c.BannerTimeout = d
		if d == 0 {
			c.BannerTimeout = -1 // 0 means none, as for ConnectTimeout
		}
	}),
	"batchmode":                       boolOption(func(c *config) *bool { return &c.BatchMode }),
	"passwordauthentication":          boolOption(func(c *config) *bool { return &c.PasswordAuth }),
	"kbdinteractiveauthentication":    boolOption(func(c *config) *bool { return &c.KbdInteractiveAuth }),
	"challengeresponseauthentication": boolOption(func(c *config) *bool { return &c.KbdInteractiveAuth }),
	"skeyauthentication":              boolOption(func(c *config) *bool { return &c.KbdInteractiveAuth }),
	"tisauthentication":               boolOption(func(c *config) *bool { return &c.KbdInteractiveAuth }),
	"pubkeyauthentication":            pubkeyAuthOption,
	"dsaauthentication":               pubkeyAuthOption,
	"preferredauthentications":        stringOption(func(c *config) *string { return &c.PreferredAuths }),
	"kexalgorithms":                   algorithmsOption(func(c *config) *string { return &c.KexAlgorithms }),
	"ciphers":                         algorithmsOption(func(c *config) *string { return &c.Ciphers }),
	"macs":                            algorithmsOption(func(c *config) *string { return &c.MACs }),
	"hostkeyalgorithms":               algorithmsOption(func(c *config) *string { return &c.HostKeyAlgorithms }),
	"pubkeyacceptedalgorithms":        algorithmsOption(func(c *config) *string { return &c.PubkeyAlgorithms }),
	"pubkeyacceptedkeytypes":          algorithmsOption(func(c *config) *string { return &c.PubkeyAlgorithms }),
	"compression":                     boolOption(func(c *config) *bool { return &c.Compression }),
	"gssapiauthentication":            boolOption(func(c *config) *bool { return &c.GSSAPIAuth }),
	"gssapikeyexchange":               boolOption(func(c *config) *bool { return &c.GSSAPIKeyExchange }),
	"gssapidelegatecredentials":       boolOption(func(c *config) *bool { return &c.GSSAPIDelegate }),
	"gssapiserveridentity":            stringOption(func(c *config) *string { return &c.GSSAPIServerIdentity }),
	"gssapitrustdns":                  boolOption(func(c *config) *bool { return &c.GSSAPITrustDNS }),
	"serveraliveinterval":             durationOption(func(c *config) *time.Duration { return &c.ServerAliveInterval }),
	"serveralivecountmax": valueOption(func(v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, errors.New("want a count of zero or more")
		}
		return n, nil
	}, func(c *config, n int) { c.ServerAliveCountMax = n }),
	// ProxyCommand and ProxyJump exclude each other: whichever is
	// obtained first wins, as in OpenSSH (readconf.c, parse_jump). A
	// jump also counts as ProxyCommand none; "ProxyJump none" does not.
	"proxycommand": commandOption(func(c *config) *string { return &c.ProxyCommand }),
	"proxyjump": {raw: true, set: func(c *config, args []string, assign bool) error {
		v, _, _ := strings.Cut(args[0], "#") // as parse_jump: the rest is a comment
		v = strings.TrimRight(v, " \t")
		if !strings.EqualFold(v, "none") {
			if _, err := parseJumps(v); err != nil {
				return err
			}
		}
		if assign && !c.set["proxycommand"] {
			c.ProxyJump = v
			if !strings.EqualFold(v, "none") {
				c.ProxyCommand, c.set["proxycommand"] = "none", true
			}
		}
		return nil
	}},
	"dynamicforward": listOption(func(c *config) *[]string { return &c.DynamicForwards },
		func(v string) error { _, err := parseDynamicForward(v); return err }),
	"forwardagent":         boolOption(func(c *config) *bool { return &c.ForwardAgent }),
	"forwardx11":           boolOption(func(c *config) *bool { return &c.ForwardX11 }),
	"forwardx11trusted":    boolOption(func(c *config) *bool { return &c.ForwardX11Trusted }),
	"forwardx11timeout":    durationOption(func(c *config) *time.Duration { return &c.ForwardX11Timeout }),
	"localforward":         forwardOption(func(c *config) *[]string { return &c.LocalForwards }),
	"remoteforward":        forwardOption(func(c *config) *[]string { return &c.RemoteForwards }),
	"clearallforwardings":  boolOption(func(c *config) *bool { return &c.ClearAllForwardings }),
	"gatewayports":         boolOption(func(c *config) *bool { return &c.GatewayPorts }),
	"exitonforwardfailure": boolOption(func(c *config) *bool { return &c.ExitOnForwardFailure }),
	"requesttty": choiceOption(func(c *config) *string { return &c.RequestTTY },
		map[string]string{"true": "yes", "false": "no"}, "auto", "yes", "no", "force"),
	"sessiontype":   choiceOption(func(c *config) *string { return &c.SessionType }, nil, "default", "none", "subsystem"),
	"stdinnull":     boolOption(func(c *config) *bool { return &c.StdinNull }),
	"remotecommand": commandOption(func(c *config) *string { return &c.RemoteCommand }),
	// SendEnv accumulates; "-pattern" takes back the patterns it
	// matches, as in OpenSSH (readconf.c rm_env).
	"sendenv": {list: true, set: func(c *config, args []string, assign bool) error {
		for _, a := range args {
			if a == "" || a == "-" || strings.ContainsRune(a, '=') {
				return fmt.Errorf("invalid environment name %q", a)
			}
		}
		for _, a := range args {
			if !assign {
				break
			}
			if p, ok := strings.CutPrefix(a, "-"); ok {
				c.SendEnv = slices.DeleteFunc(c.SendEnv, func(have string) bool { return knownhosts.MatchPattern(have, p) })
			} else if !slices.Contains(c.SendEnv, a) {
				c.SendEnv = append(c.SendEnv, a)
			}
		}
		return nil
	}},
	// SetEnv: the first line obtained, all of it (a name given twice
	// keeps its first value), as in OpenSSH.
	"setenv": {set: func(c *config, args []string, assign bool) error {
		for _, a := range args {
			if name, _, ok := strings.Cut(a, "="); !ok || name == "" {
				return fmt.Errorf("invalid SetEnv %q: want NAME=VALUE", a)
			}
		}
		if assign {
			c.SetEnv = nil
			for _, a := range args {
				name, _, _ := strings.Cut(a, "=")
				if !slices.ContainsFunc(c.SetEnv, func(have string) bool { return strings.HasPrefix(have, name+"=") }) {
					c.SetEnv = append(c.SetEnv, a)
				}
			}
		}
		return nil
	}},
	"escapechar": valueOption(func(v string) (string, error) {
		// "none", one character, or ^ and a character from @ to DEL.
		if v == "none" || len(v) == 1 || len(v) == 2 && v[0] == '^' && v[1] >= 64 && v[1] < 128 {
			return v, nil
		}
		return "", errors.New("want one character, ^ and a letter, or none")
	}, func(c *config, v string) { c.EscapeChar = v }),
	"loglevel": valueOption(func(v string) (int, error) {
		levels := map[string]int{
			"quiet": logQuiet, "fatal": logFatal, "error": logError, "info": logInfo,
			"verbose": logVerbose, "debug": logDebug1, "debug1": logDebug1,
			"debug2": logDebug2, "debug3": logDebug3,
		}
		l, ok := levels[strings.ToLower(v)]
		if !ok {
			return 0, errors.New("want QUIET, FATAL, ERROR, INFO, VERBOSE or DEBUG1 to DEBUG3")
		}
		return l, nil
	}, func(c *config, l int) { c.LogLevel = l }),
	"ignoreunknown": stringOption(func(c *config) *string { return &c.IgnoreUnknown }),
}

var pubkeyAuthOption = valueOption(func(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "unbound", "host-bound":
		// OpenSSH 9's other yeses: amiko uses host binding when the
		// server offers it.
		return true, nil
	}
	return parseYesNo(v)
}, func(c *config, b bool) { c.PubkeyAuth = b })

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
