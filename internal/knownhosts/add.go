package knownhosts

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Add records key for host: a line "host type base64" appended to the
// file in memory (Save writes it). host is the name as the client sees
// it ("name" or "[name]:port", see HostPort); it is lowercased, as
// OpenSSH writes it. With hash set the name is stored hashed
// (|1|salt|hash), as ssh with HashKnownHosts=yes and ssh-keygen -H write
// it. A certificate is stored as the plain key inside it, which is what
// OpenSSH records for a host whose certificate it could not use.
//
// Existing lines are never changed: if the host has other keys they stay
// (Check then accepts any of them). Adding a key the host already has is
// a no-op.
func (f *File) Add(host string, key ssh.PublicKey, hash bool) error {
	if key == nil {
		return errors.New("knownhosts: no key to add")
	}
	host = lowerASCII(host)
	if err := validHostName(host); err != nil {
		return err
	}
	key = plainKey(key)
	name := host
	if hash {
		name = knownhosts.HashHostname(host)
	}
	raw := append([]byte(name+" "), ssh.MarshalAuthorizedKey(key)...)
	e := parseLine(raw)
	if e == nil {
		return fmt.Errorf("knownhosts: cannot add a %s key", key.Type())
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hasKeyLocked(host, e.wire) {
		return nil
	}
	f.added = append(f.added, addedLine{line: line{raw: raw, entry: e}, host: host})
	return nil
}

// hasKeyLocked reports whether a line without marker lists key for host.
func (f *File) hasKeyLocked(host string, wire []byte) bool {
	has := func(l *line) bool {
		return l.entry != nil && l.entry.marker == MarkerNone &&
			string(l.entry.wire) == string(wire) && l.entry.matches(host)
	}
	for i := range f.lines {
		if has(&f.lines[i]) {
			return true
		}
	}
	for i := range f.added {
		if has(&f.added[i].line) {
			return true
		}
	}
	return false
}

// validHostName rejects names that would not read back as the one
// concrete host they name: empty, with white space or control bytes
// (the line would split), with ',' (a list), '*' or '?' (patterns), or
// starting with '!', '#', '@' or '|' (negation, comment, marker, hash).
func validHostName(host string) error {
	if host == "" {
		return errors.New("knownhosts: empty host name")
	}
	bad := strings.IndexFunc(host, func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == ',' || r == '*' || r == '?'
	}) >= 0 || strings.ContainsAny(host[:1], "!#@|")
	if bad {
		return fmt.Errorf("knownhosts: %q is not a host name that known_hosts can record", host)
	}
	return nil
}
