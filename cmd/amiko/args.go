package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// invocation is a parsed `amiko ssh` command line, with the
// configuration that applies to its destination.
type invocation struct {
	cfg     *config
	dest    hop
	command []string // the remote command's words; empty for a shell

	noCommand   bool   // -N or SessionType none: no session, only forwarding
	stdinNull   bool   // -n or StdinNull: stdin from /dev/null
	subsystem   bool   // -s or SessionType subsystem: the command is a subsystem name
	stdioTarget string // -W host:port: stdin and stdout to a connection through the server

	// What the jump hosts' configuration is made of: the config files
	// to read, and the command line's options alone.
	files   []configFile
	cmdline *config
	env     *localEnv
}

const sshUsage = `usage: amiko ssh [-AaCgKkNnqsTtvx] [-c cipher_spec] [-D [bind_address:]port]
           [-e escape_char] [-F configfile] [-i identity_file] [-J destination]
           [-L [bind_address:]port:host:hostport] [-l login_name] [-m mac_spec]
           [-o option] [-p port] [-R [bind_address:]port:host:hostport]
           [-W host:port] destination [command [argument ...]]`

// errVersion is -V: print the version and exit, whatever else the
// command line says, as ssh does the moment it reads -V.
var errVersion = errors.New("-V")

// usageError is a command line amiko ssh cannot read; the usage is
// printed after it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Flags that take an argument, as in OpenSSH's getopt string.
const flagsWithArgument = "BbcDEeFIiJLlmOoPpQRSWw"

// unsupportedFlags are OpenSSH flags amiko ssh does not implement.
var unsupportedFlags = map[byte]string{
	'4': "forcing IPv4", '6': "forcing IPv6", 'B': "binding to an interface",
	'b': "binding to an address", 'E': "a log file",
	'f': "going to the background", 'G': "printing the configuration", 'I': "PKCS#11",
	'M': "connection multiplexing", 'O': "multiplexing control", 'P': "tags",
	'Q': "algorithm queries", 'S': "multiplexing control sockets",
	'w': "tunnel devices", 'y': "syslog",
}

// parseSSHArgs reads `amiko ssh`'s arguments as OpenSSH's ssh does
// (options, the destination, more options, then the command; "--" ends
// the options), then the config files for the destination.
func parseSSHArgs(args []string) (*invocation, error) {
	inv, err := parseCommandLine(args)
	if err != nil {
		return nil, err
	}
	if err := inv.readConfig(newLocalEnv(os.LookupEnv, os.Stderr)); err != nil {
		return nil, err
	}
	return inv, nil
}

// parseCommandLine reads the arguments alone.
func parseCommandLine(args []string) (*invocation, error) {
	inv := &invocation{cfg: newConfig()}
	haveDest := false
	configPath, haveF := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			args = args[i+1:]
			if !haveDest && len(args) > 0 {
				if err := inv.setDestination(args[0]); err != nil {
					return nil, err
				}
				haveDest, args = true, args[1:]
			}
			inv.command = args
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if haveDest {
				inv.command = args[i:]
				break
			}
			if err := inv.setDestination(a); err != nil {
				return nil, err
			}
			haveDest = true
			continue
		}
		// A cluster of flags, such as -vvt or -p2222 or -o Port=22.
		for j := 1; j < len(a); j++ {
			f := a[j]
			var arg string
			if strings.IndexByte(flagsWithArgument, f) >= 0 {
				if j+1 < len(a) {
					arg = a[j+1:]
				} else if i+1 < len(args) {
					i++
					arg = args[i]
				} else {
					return nil, &usageError{fmt.Sprintf("option requires an argument -- %c", f)}
				}
				j = len(a)
			}
			if f == 'F' {
				configPath, haveF = arg, true
				continue
			}
			if f == 'V' {
				return nil, errVersion
			}
			if err := inv.flag(f, arg); err != nil {
				return nil, err
			}
		}
	}
	if !haveDest {
		return nil, &usageError{"no destination given"}
	}
	switch c := inv.cfg; {
	case c.SessionType == "none" && len(inv.command) > 0:
		return nil, &usageError{"-N takes no command"}
	case c.SessionType == "subsystem" && len(inv.command) == 0:
		return nil, &usageError{"-s needs a subsystem name"}
	case inv.stdioTarget != "" && (len(inv.command) > 0 || c.SessionType == "none"):
		return nil, &usageError{"-W takes no command and cannot be used with -N"}
	}
	if err := checkCommandLineUsers(inv.cfg); err != nil {
		return nil, &usageError{err.Error()}
	}
	inv.files = configFiles(configPath, haveF)
	return inv, nil
}

// readConfig reads the config files for the destination, after the
// command line, and applies what they say about the session.
func (inv *invocation) readConfig(env *localEnv) error {
	inv.env = env
	inv.cmdline = inv.cfg.clone()
	c := inv.cfg
	if err := readConfig(c, inv.dest.Host, inv.files, env); err != nil {
		return err
	}
	if rc := c.RemoteCommand; rc != "" && !strings.EqualFold(rc, "none") && len(inv.command) > 0 {
		return &optionError{name: "RemoteCommand", why: "cannot be used with a command on the command line"}
	}
	inv.noCommand = c.SessionType == "none"
	inv.subsystem = c.SessionType == "subsystem"
	inv.stdinNull = c.StdinNull
	return nil
}

// setDestination reads the destination; its user and port count as
// options given at this point of the command line (the first value
// wins, so "-l bob alice@host" logs in as bob, as OpenSSH does).
func (inv *invocation) setDestination(s string) error {
	h, err := parseDestination(s)
	if err != nil {
		return &usageError{err.Error()}
	}
	inv.dest = hop{Host: h.Host}
	if h.User != "" {
		inv.cfg.first("User", h.User)
	}
	if h.Port != 0 {
		inv.cfg.first("Port", strconv.Itoa(h.Port))
	}
	return nil
}

// flag applies one flag with its argument, if it takes one. Flags that
// stand for options set them as OpenSSH's ssh does: first value wins
// for some (-l, -p), others assign directly (force).
func (inv *invocation) flag(f byte, arg string) error {
	c := inv.cfg
	switch f {
	case 'A':
		return c.force("ForwardAgent", "yes")
	case 'a':
		return c.force("ForwardAgent", "no")
	case 'C':
		return c.force("Compression", "yes")
	case 'c':
		return c.force("Ciphers", arg)
	case 'D':
		return c.first("DynamicForward", arg)
	case 'e':
		return c.force("EscapeChar", arg)
	case 'g':
		return c.force("GatewayPorts", "yes")
	case 'i':
		return c.first("IdentityFile", arg)
	case 'J':
		// As OpenSSH: one -J, and not after a ProxyCommand; it makes
		// ProxyCommand none, and later ones are ignored.
		if c.set["proxyjump"] {
			return &usageError{"only one -J option is allowed (separate jump hosts with commas)"}
		}
		if c.set["proxycommand"] {
			return &usageError{"-J cannot be used with ProxyCommand"}
		}
		if err := c.first("ProxyJump", arg); err != nil {
			return err
		}
		c.ProxyCommand, c.set["proxycommand"] = "none", true
		return nil
	case 'K':
		if err := c.force("GSSAPIAuthentication", "yes"); err != nil {
			return err
		}
		return c.force("GSSAPIDelegateCredentials", "yes")
	case 'k':
		return c.force("GSSAPIDelegateCredentials", "no")
	case 'L':
		return c.first("LocalForward", arg)
	case 'l':
		return c.first("User", arg)
	case 'm':
		return c.force("MACs", arg)
	case 'N':
		return c.force("SessionType", "none")
	case 'n':
		return c.force("StdinNull", "yes")
	case 'o':
		return c.apply(arg)
	case 'p':
		return c.first("Port", arg)
	case 'q':
		return c.force("LogLevel", "QUIET")
	case 'R':
		return c.first("RemoteForward", arg)
	case 's':
		return c.force("SessionType", "subsystem")
	case 'T':
		return c.force("RequestTTY", "no")
	case 't':
		if c.RequestTTY == "yes" {
			return c.force("RequestTTY", "force")
		}
		return c.force("RequestTTY", "yes")
	case 'v':
		if c.LogLevel < logDebug1 {
			c.LogLevel = logDebug1
		} else if c.LogLevel < logDebug3 {
			c.LogLevel++
		}
		c.set["loglevel"] = true
	case 'W':
		if _, _, err := splitHostPortOptional(arg); err != nil || !strings.Contains(arg, ":") {
			return &usageError{fmt.Sprintf("-W %s: want host:port", arg)}
		}
		inv.stdioTarget = arg
	case 'X':
		return c.force("ForwardX11", "yes")
	case 'x':
		return c.force("ForwardX11", "no")
	case 'Y':
		if err := c.force("ForwardX11", "yes"); err != nil {
			return err
		}
		return c.force("ForwardX11Trusted", "yes")
	default:
		if what, ok := unsupportedFlags[f]; ok {
			return &usageError{fmt.Sprintf("-%c (%s) is not supported by amiko", f, what)}
		}
		return &usageError{fmt.Sprintf("unknown option -- %c", f)}
	}
	return nil
}
