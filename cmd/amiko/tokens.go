package main

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
)

// localEnv is what the configuration sees of this machine: the home
// directory (~ and %d), the local user (%u, Match localuser, and the
// remote user when none is set), the host name (%l, %L), the
// environment (${VAR}), and where Match exec's errors go.
type localEnv struct {
	home, user, hostname string
	uid                  int
	lookupEnv            func(string) (string, bool)
	stderr               io.Writer
	// sandboxed keeps Match exec and Include from reaching outside
	// (the fuzz test): no command runs (it does not match), no file is
	// included.
	sandboxed bool
}

// newLocalEnv describes the running process. The user is the one amiko
// logs in as by default: LOGNAME, USER, LNAME or USERNAME, then the
// account database.
func newLocalEnv(lookupEnv func(string) (string, bool), stderr io.Writer) *localEnv {
	e := &localEnv{lookupEnv: lookupEnv, stderr: stderr, uid: os.Getuid()}
	e.home, _ = lookupEnv("HOME")
	if e.home == "" {
		e.home, _ = os.UserHomeDir()
	}
	for _, v := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if u, _ := lookupEnv(v); u != "" {
			e.user = u
			break
		}
	}
	if e.user == "" {
		if u, err := user.Current(); err == nil {
			e.user = u.Username
		}
	}
	e.hostname, _ = os.Hostname()
	return e
}

func (e *localEnv) getenv(name string) string {
	v, _ := e.lookupEnv(name)
	return v
}

// runMatchExec runs a Match exec command as OpenSSH does: with the
// user's shell ($SHELL, else /bin/sh), stdin and stdout on /dev/null and
// stderr passed through. Exit status 0 is a match; a command killed by
// a signal is an error.
func (e *localEnv) runMatchExec(command string) (bool, error) {
	if e.sandboxed {
		return false, nil
	}
	shell := e.getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	cmd := exec.Command(shell, "-c", command)
	cmd.Stderr = e.stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.Exited():
		return false, nil
	}
	return false, fmt.Errorf("exec %q: %w", command, err)
}

// tokens are the values of OpenSSH's %-tokens for one connection.
type tokens struct {
	env                                  *localEnv
	host, original, port, user, keyAlias string
}

// tokens returns the tokens for a connection to host (after HostName)
// named original, as user. keyAlias is the HostKeyAlias, if any.
func (e *localEnv) tokens(host, original string, port int, user, keyAlias string) *tokens {
	if keyAlias == "" {
		keyAlias = host
	}
	return &tokens{env: e, host: host, original: original, port: strconv.Itoa(port), user: user, keyAlias: keyAlias}
}

// The tokens each option takes (ssh_config(5), TOKENS).
const (
	pathTokens     = "CdhikLlnpru" // IdentityFile, UserKnownHostsFile, IdentityAgent, RemoteCommand, Match exec
	proxyTokens    = "hnpr"        // ProxyCommand
	hostNameTokens = "h"           // HostName
)

func (t *tokens) value(k byte) string {
	switch k {
	case 'C':
		// The connection hash: SHA-1 of %l%h%p%r, as OpenSSH 9.2 computes
		// it (its ssh -G gives the same with and without a ProxyJump).
		sum := sha1.Sum([]byte(t.env.hostname + t.host + t.port + t.user))
		return hex.EncodeToString(sum[:])
	case 'd':
		return t.env.home
	case 'h':
		return t.host
	case 'i':
		return strconv.Itoa(t.env.uid)
	case 'k':
		return t.keyAlias
	case 'L':
		short, _, _ := strings.Cut(t.env.hostname, ".")
		return short
	case 'l':
		return t.env.hostname
	case 'n':
		return t.original
	case 'p':
		return t.port
	case 'r':
		return t.user
	case 'u':
		return t.env.user
	}
	return ""
}

// expand replaces the %-tokens in allowed (and %%) and, with dollar,
// ${VAR} environment variables. As in OpenSSH, an unknown token or an
// unset variable is an error, not left as written.
func (t *tokens) expand(s, allowed string, dollar bool) (string, error) {
	if !strings.ContainsAny(s, "%$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+1 == len(s) {
				return "", errors.New("a lone % at the end (write %% for a %)")
			}
			i++
			switch k := s[i]; {
			case k == '%':
				b.WriteByte('%')
			case strings.IndexByte(allowed, k) >= 0:
				b.WriteString(t.value(k))
			default:
				return "", fmt.Errorf("unknown token %%%c", k)
			}
		case dollar && c == '$' && strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", errors.New("${ without its }")
			}
			name := s[i+2 : i+end]
			v, ok := t.env.lookupEnv(name)
			if !validEnvName(name) || !ok {
				return "", fmt.Errorf("environment variable %q is not set", name)
			}
			b.WriteString(v)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// expandPath is a file name option's value with ~, the tokens and
// ${VAR} expanded, in OpenSSH's order.
func (t *tokens) expandPath(p string) (string, error) {
	return t.expand(expandTilde(p, t.env.home), pathTokens, true)
}

// expandHostName is HostName with %h, the name as given, and %%.
func expandHostName(hostName, host string) (string, error) {
	t := &tokens{host: host}
	h, err := t.expand(hostName, hostNameTokens, false)
	if err != nil {
		return "", &optionError{name: "HostName", value: hostName, why: err.Error()}
	}
	return h, nil
}

// validEnvName reports whether s can name an environment variable:
// letters, digits and underscores, not starting with a digit.
func validEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// expandTilde replaces a leading "~/" (or a lone "~") with home.
func expandTilde(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return home + p[1:]
	}
	return p
}
