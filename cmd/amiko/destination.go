package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// hop is one host to connect to: a jump host or the destination.
type hop struct {
	User string // "" if not given
	Host string
	Port int // 0 if not given
}

func (h hop) String() string {
	s := h.Host
	if h.Port != 0 {
		s = net.JoinHostPort(h.Host, strconv.Itoa(h.Port))
	}
	if h.User != "" {
		s = h.User + "@" + s
	}
	return s
}

// parseDestination reads ssh's destination: "[user@]host" or
// "ssh://[user@]host[:port]".
func parseDestination(s string) (hop, error) {
	if strings.HasPrefix(s, "ssh://") {
		return parseURI(s)
	}
	var h hop
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		h.User, s = s[:i], s[i+1:]
		if h.User == "" {
			return hop{}, errors.New("empty user name before @")
		}
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if err := checkHostName(s); err != nil {
		return hop{}, err
	}
	h.Host = s
	return h, nil
}

// parseURI reads "ssh://[user@]host[:port]" (RFC 3986 and
// draft-ietf-secsh-scp-sftp-ssh-uri). A path is not allowed, as in
// OpenSSH.
func parseURI(s string) (hop, error) {
	u, err := url.Parse(s)
	if err != nil {
		return hop{}, fmt.Errorf("bad ssh:// destination: %w", err)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return hop{}, fmt.Errorf("bad ssh:// destination %q: a path is not allowed", s)
	}
	var h hop
	if u.User != nil {
		// The user part may carry ";param" connection parameters
		// (the draft's fingerprint); amiko uses none of them.
		h.User, _, _ = strings.Cut(u.User.Username(), ";")
		if h.User == "" {
			return hop{}, fmt.Errorf("bad ssh:// destination %q: empty user name", s)
		}
	}
	h.Host = u.Hostname()
	if err := checkHostName(h.Host); err != nil {
		return hop{}, err
	}
	if p := u.Port(); p != "" {
		if h.Port, err = parsePort(p); err != nil {
			return hop{}, fmt.Errorf("bad port in %q: %w", s, err)
		}
	}
	return h, nil
}

// parseJumps reads a ProxyJump (-J) list: comma-separated
// "[user@]host[:port]" or ssh:// URIs.
func parseJumps(s string) ([]hop, error) {
	var hops []hop
	for _, part := range strings.Split(s, ",") {
		if strings.HasPrefix(part, "ssh://") {
			h, err := parseURI(part)
			if err != nil {
				return nil, err
			}
			hops = append(hops, h)
			continue
		}
		var h hop
		if i := strings.LastIndexByte(part, '@'); i >= 0 {
			h.User, part = part[:i], part[i+1:]
			if h.User == "" {
				return nil, errors.New("empty user name before @ in jump host")
			}
		}
		host, port, err := splitHostPortOptional(part)
		if err != nil {
			return nil, fmt.Errorf("bad jump host %q: %w", part, err)
		}
		h.Host, h.Port = host, port
		hops = append(hops, h)
	}
	return hops, nil
}

// splitHostPortOptional splits "host", "host:port", "[host]" or
// "[host]:port".
func splitHostPortOptional(s string) (string, int, error) {
	host, portStr := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, errors.New("missing ]")
		}
		host, portStr = s[1:end], s[end+1:]
		if portStr != "" {
			if portStr[0] != ':' {
				return "", 0, errors.New("unexpected text after ]")
			}
			portStr = portStr[1:]
		}
	case strings.Count(s, ":") == 1:
		host, portStr, _ = strings.Cut(s, ":")
	}
	if err := checkHostName(host); err != nil {
		return "", 0, err
	}
	if portStr == "" {
		return host, 0, nil
	}
	port, err := parsePort(portStr)
	return host, port, err
}

// checkHostName refuses names that cannot be a host: empty, or with
// characters that would break a known_hosts line or a ProxyCommand
// (OpenSSH's valid_hostname: shell metacharacters, white space, control
// characters, a leading '-').
func checkHostName(h string) error {
	if h == "" {
		return errors.New("empty host name")
	}
	if strings.ContainsAny(h, "'`\"$\\;&<>|(){},") || strings.ContainsFunc(h, isSpaceOrControl) || strings.HasPrefix(h, "-") {
		return fmt.Errorf("invalid host name %q", h)
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// checkCommandLineUsers refuses user names from the command line (the
// destination's, -l, -o User, -J's) that could turn into commands where
// %r is expanded in a shell (ProxyCommand, Match exec), as OpenSSH 9.6
// does for CVE-2023-51385 (valid_ruser): a leading '-', shell
// metacharacters, white space before a '-', a trailing backslash, and
// here control characters too. A user name a program passes on from
// elsewhere (a repository URL, say) must not run commands here. Names
// from the config files are the user's own and are not checked.
func checkCommandLineUsers(c *config) error {
	users := []string{c.User}
	if c.ProxyJump != "" && c.ProxyJump != "none" {
		hops, err := parseJumps(c.ProxyJump)
		if err != nil {
			return err
		}
		for _, h := range hops {
			users = append(users, h.User)
		}
	}
	for _, u := range users {
		if u != "" && !validRemoteUser(u) {
			return fmt.Errorf("remote username contains invalid characters: %q", u)
		}
	}
	return nil
}

func validRemoteUser(u string) bool {
	if strings.HasPrefix(u, "-") || strings.HasSuffix(u, "\\") || strings.ContainsAny(u, "'`\";&<>|(){}") {
		return false
	}
	for i, r := range u {
		if r < ' ' || r == 0x7f {
			return false
		}
		if (r == ' ' || r == '\t') && strings.HasPrefix(u[i+1:], "-") {
			return false
		}
	}
	return true
}

// forwardSpec is one -L or -R: listen on Bind:Port, connect to
// Host:HostPort on the other side; or one -D, without Host and HostPort.
type forwardSpec struct {
	Bind     string // "" if not given
	BindSet  bool   // a bind address was given, possibly empty or "*"
	Port     int
	Host     string
	HostPort int
}

// parseForward reads "[bind_address:]port:host:hostport". IPv6
// addresses go in brackets; as in OpenSSH, '/' may separate the fields
// instead of ':'.
func parseForward(s string) (forwardSpec, error) {
	fields, err := splitForward(s)
	if err != nil {
		return forwardSpec{}, err
	}
	var f forwardSpec
	switch len(fields) {
	case 3:
	case 4:
		f.Bind, f.BindSet = fields[0], true
		fields = fields[1:]
	default:
		return forwardSpec{}, fmt.Errorf("bad forwarding specification %q: want [bind_address:]port:host:hostport", s)
	}
	port, err := strconv.Atoi(fields[0])
	if err != nil || port < 0 || port > 65535 {
		return forwardSpec{}, fmt.Errorf("bad forwarding specification %q: bad listen port %q", s, fields[0])
	}
	f.Port = port
	f.Host = fields[1]
	if f.Host == "" {
		return forwardSpec{}, fmt.Errorf("bad forwarding specification %q: empty host", s)
	}
	if f.HostPort, err = parsePort(fields[2]); err != nil {
		return forwardSpec{}, fmt.Errorf("bad forwarding specification %q: bad host port %q", s, fields[2])
	}
	return f, nil
}

// parseDynamicForward reads -D's "[bind_address:]port", with the same
// brackets and separators as parseForward.
func parseDynamicForward(s string) (forwardSpec, error) {
	fields, err := splitForward(s)
	if err != nil {
		return forwardSpec{}, err
	}
	var f forwardSpec
	switch len(fields) {
	case 1:
	case 2:
		f.Bind, f.BindSet = fields[0], true
		fields = fields[1:]
	default:
		return forwardSpec{}, fmt.Errorf("bad dynamic forwarding specification %q: want [bind_address:]port", s)
	}
	port, err := strconv.Atoi(fields[0])
	if err != nil || port < 0 || port > 65535 {
		return forwardSpec{}, fmt.Errorf("bad dynamic forwarding specification %q: bad listen port %q", s, fields[0])
	}
	f.Port = port
	return f, nil
}

// splitForward splits at ':' (or '/', if the spec has one), keeping
// bracketed IPv6 addresses whole.
func splitForward(s string) ([]string, error) {
	sep := byte(':')
	if strings.ContainsRune(s, '/') {
		sep = '/'
	}
	var fields []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("bad forwarding specification %q: missing ]", s)
			}
			cur.WriteString(s[i+1 : i+end])
			i += end
		case ch == sep:
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(ch)
		}
	}
	return append(fields, cur.String()), nil
}
