package knownhosts

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// HostPort returns the name under which OpenSSH files a host in
// known_hosts: the host alone for port 22 (or 0), "[host]:port"
// otherwise (OpenSSH's put_host_port). The host is lowercased, as ssh
// lowercases host names, and an IPv6 address may come with or without
// brackets.
func HostPort(host string, port int) string {
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	host = lowerASCII(host)
	if port == 0 || port == 22 {
		return host
	}
	return "[" + host + "]:" + strconv.Itoa(port)
}

// hostName returns the host name inside a HostPort name: "h" for "h" and
// for "[h]:2222". Host certificates name hosts without ports.
func hostName(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.LastIndex(host, "]:"); i > 0 {
			return host[1:i]
		}
	}
	return host
}

// A Match is one line that matched a host.
type Match struct {
	Path   string // the file's path, "" for data given to Parse
	Line   int    // 1-based line number; added lines follow the file's
	Marker Marker
	Key    ssh.PublicKey
}

// String is "path:line", as OpenSSH names a line in its messages.
func (m Match) String() string {
	p := m.Path
	if p == "" {
		p = "(known_hosts data)"
	}
	return fmt.Sprintf("%s:%d", p, m.Line)
}

// Result is what known_hosts says of one host.
type Result struct {
	// Keys are the host's own keys (lines without a marker).
	Keys []ssh.PublicKey
	// Authorities are the keys of @cert-authority lines whose patterns
	// match the host: CAs whose host certificates are trusted for it.
	Authorities []ssh.PublicKey
	// Revoked are the keys of @revoked lines whose patterns match the
	// host.
	Revoked []ssh.PublicKey
	// Matches are all the matching lines, in file order, with where they
	// are.
	Matches []Match
}

// Known reports whether any line names a key or an authority for the
// host. Revocations alone do not make a host known: "@revoked *" lines
// match every host.
func (r *Result) Known() bool {
	return len(r.Keys) > 0 || len(r.Authorities) > 0
}

func (r *Result) add(m Match) {
	switch m.Marker {
	case MarkerNone:
		r.Keys = append(r.Keys, m.Key)
	case MarkerCertAuthority:
		r.Authorities = append(r.Authorities, m.Key)
	case MarkerRevoked:
		r.Revoked = append(r.Revoked, m.Key)
	}
	r.Matches = append(r.Matches, m)
}

// Lookup returns every usable line whose host field matches host, the
// name as the client sees it: "name" for port 22 and "[name]:port"
// otherwise (see HostPort). Names are matched as given: a line listing
// the server's IP address matches only if host is that address, as in
// OpenSSH without CheckHostIP. Matching is OpenSSH's: comma-separated
// patterns with '*' and '?', where a matching '!pattern' excludes the
// line; hashed names; case-insensitive.
func (f *File) Lookup(host string) Result {
	var r Result
	f.lookup(lowerASCII(host), &r)
	return r
}

func (f *File) lookup(host string, r *Result) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	visit := func(l *line) {
		n++
		if l.entry != nil && l.entry.matches(host) {
			r.add(Match{Path: f.path, Line: n, Marker: l.entry.marker, Key: l.entry.key})
		}
	}
	for i := range f.lines {
		visit(&f.lines[i])
	}
	for i := range f.added {
		visit(&f.added[i].line)
	}
}

// lookupAll is Lookup over several files, in order.
func lookupAll(host string, files []*File) Result {
	var r Result
	host = lowerASCII(host)
	for _, f := range files {
		if f != nil {
			f.lookup(host, &r)
		}
	}
	return r
}
