package main

import (
	"fmt"
	"strings"
)

// invocation is a parsed `amiko ssh` command line.
type invocation struct {
	cfg     *config
	dest    hop
	command []string // the remote command's words; empty for a shell

	noCommand   bool   // -N: no session, only forwarding
	stdinNull   bool   // -n: stdin from /dev/null
	subsystem   bool   // -s: the command is a subsystem name
	stdioTarget string // -W host:port: stdin and stdout to a connection through the server
}

const sshUsage = `usage: amiko ssh [-AaCgKkNnqsTtvx] [-c cipher_spec] [-D [bind_address:]port]
           [-e escape_char] [-F none] [-i identity_file] [-J destination]
           [-L [bind_address:]port:host:hostport] [-l login_name] [-m mac_spec]
           [-o option] [-p port] [-R [bind_address:]port:host:hostport]
           [-W host:port] destination [command [argument ...]]`

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
	'Q': "algorithm queries", 'S': "multiplexing control sockets", 'V': "-V",
	'w': "tunnel devices", 'X': "X11 forwarding", 'Y': "X11 forwarding", 'y': "syslog",
}

// parseSSHArgs reads `amiko ssh`'s arguments as OpenSSH's ssh does:
// options, the destination, more options, then the command. "--" ends
// the options.
func parseSSHArgs(args []string) (*invocation, error) {
	inv := &invocation{cfg: newConfig()}
	haveDest, haveJump := false, false
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
			if f == 'J' {
				if haveJump {
					return nil, &usageError{"only one -J option is allowed"}
				}
				haveJump = true
			}
			if err := inv.flag(f, arg); err != nil {
				return nil, err
			}
		}
	}
	if !haveDest {
		return nil, &usageError{"no destination given"}
	}
	if inv.noCommand && len(inv.command) > 0 {
		return nil, &usageError{"-N takes no command"}
	}
	if inv.subsystem && len(inv.command) == 0 {
		return nil, &usageError{"-s needs a subsystem name"}
	}
	if inv.stdioTarget != "" && (len(inv.command) > 0 || inv.noCommand) {
		return nil, &usageError{"-W takes no command and cannot be used with -N"}
	}
	return inv, nil
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
	if h.User != "" && !inv.cfg.set["user"] {
		inv.cfg.User, inv.cfg.set["user"] = h.User, true
	}
	if h.Port != 0 && !inv.cfg.set["port"] {
		inv.cfg.Port, inv.cfg.set["port"] = h.Port, true
	}
	return nil
}

// flag applies one flag with its argument, if it takes one.
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
		return c.setOption("DynamicForward", arg, true)
	case 'e':
		// Escape sequences (~.) are not implemented: every escape
		// character behaves as "none".
		return nil
	case 'F':
		if arg == "none" || arg == "/dev/null" {
			return nil // amiko reads no ssh_config anyway
		}
		return &usageError{"-F: amiko does not read ssh_config files (only -F none)"}
	case 'g':
		return c.force("GatewayPorts", "yes")
	case 'i':
		return c.setOption("IdentityFile", arg, true)
	case 'J':
		return c.force("ProxyJump", arg)
	case 'K':
		if err := c.force("GSSAPIAuthentication", "yes"); err != nil {
			return err
		}
		return c.force("GSSAPIDelegateCredentials", "yes")
	case 'k':
		return c.force("GSSAPIDelegateCredentials", "no")
	case 'L':
		return c.setOption("LocalForward", arg, true)
	case 'l':
		return c.setOption("User", arg, false)
	case 'm':
		return c.force("MACs", arg)
	case 'N':
		inv.noCommand = true
	case 'n':
		inv.stdinNull = true
	case 'o':
		return c.apply(arg)
	case 'p':
		return c.setOption("Port", arg, false)
	case 'q':
		c.LogLevel = logQuiet
	case 'R':
		return c.setOption("RemoteForward", arg, true)
	case 's':
		inv.subsystem = true
	case 'T':
		c.RequestTTY = "no"
	case 't':
		if c.RequestTTY == "yes" {
			c.RequestTTY = "force"
		} else {
			c.RequestTTY = "yes"
		}
	case 'v':
		if c.LogLevel < logDebug1 {
			c.LogLevel = logDebug1
		} else if c.LogLevel < logDebug3 {
			c.LogLevel++
		}
	case 'W':
		if _, _, err := splitHostPortOptional(arg); err != nil || !strings.Contains(arg, ":") {
			return &usageError{fmt.Sprintf("-W %s: want host:port", arg)}
		}
		inv.stdioTarget = arg
	case 'x':
		// X11 forwarding is never on.
	default:
		if what, ok := unsupportedFlags[f]; ok {
			return &usageError{fmt.Sprintf("-%c (%s) is not supported by amiko", f, what)}
		}
		return &usageError{fmt.Sprintf("unknown option -- %c", f)}
	}
	return nil
}
