package knownhosts

import (
	"bytes"
	"crypto/rsa"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Marker is the optional marker that starts a known_hosts line.
type Marker int

const (
	// MarkerNone is an ordinary line: the host's own key.
	MarkerNone Marker = iota
	// MarkerCertAuthority is "@cert-authority": a CA whose host
	// certificates are trusted for the line's hosts.
	MarkerCertAuthority
	// MarkerRevoked is "@revoked": a key never to be accepted for the
	// line's hosts, whether presented itself, inside a certificate or as
	// a certificate's signer.
	MarkerRevoked
)

func (m Marker) String() string {
	switch m {
	case MarkerCertAuthority:
		return "@cert-authority"
	case MarkerRevoked:
		return "@revoked"
	}
	return ""
}

// line is one line of a file, kept byte for byte.
type line struct {
	// raw is the line as read, with its terminator ("\n", or "\r\n", or
	// nothing on a last line without one).
	raw []byte
	// entry is what OpenSSH would use of the line; nil for comments,
	// blank lines and lines OpenSSH skips as invalid.
	entry *entry
}

// entry is a usable known_hosts line.
type entry struct {
	marker Marker
	// hosts is the host field as written: a pattern list, or one hashed
	// name when hashed is set.
	hosts  string
	hashed *hashedName
	key    ssh.PublicKey
	// wire is key.Marshal(), kept for comparisons.
	wire    []byte
	comment string
}

// matches reports whether the entry's host field accepts host, which is
// lowercase ("name" or "[name]:port").
func (e *entry) matches(host string) bool {
	if e.hashed != nil {
		return e.hashed.matches(host)
	}
	return matchPatternList(host, e.hosts) == 1
}

// parseLine returns the entry for one line (its terminator included or
// not), or nil where OpenSSH's hostkeys_foreach finds a comment, a blank
// line or a line it cannot use. It follows hostfile.c step by step: skip
// spaces and tabs, take an optional marker, then the host field up to a
// space or tab, then the key (sshkey_read); the rest is the comment.
//
// OpenSSH works on the line as C strings, which matters for a NUL byte:
// the line ends at the first NUL (or newline), except that the host field
// may end at that NUL, and then OpenSSH steps over it and reads the key
// from what follows.
func parseLine(raw []byte) *entry {
	s := string(raw)
	i := strings.IndexAny(s, "\x00\n")
	if i < 0 {
		i = len(s)
	}
	first, rest := s[:i], ""
	if i < len(s) && s[i] == 0 {
		rest = cString(s[i+1:])
	}
	s = strings.TrimLeft(first, " \t")
	if s == "" || s[0] == '#' {
		return nil
	}
	marker, s, ok := parseMarker(s)
	if !ok {
		return nil
	}
	var hosts string
	if end := strings.IndexAny(s, " \t"); end >= 0 {
		hosts, s = s[:end], s[end:]
	} else {
		hosts, s = s, rest // the host field ended at the NUL
	}
	e := &entry{marker: marker, hosts: hosts}
	if strings.HasPrefix(hosts, "|") {
		h, ok := parseHashed(hosts)
		if !ok {
			return nil // bad host hash
		}
		e.hashed = &h
	}
	s = strings.TrimLeft(s, " \t")
	if s == "" || s[0] == '#' {
		return nil // truncated before key type
	}
	key, comment, ok := parseKey(s)
	if !ok {
		return nil
	}
	e.key, e.comment = key, strings.TrimSuffix(comment, "\n")
	e.wire = key.Marshal()
	return e
}

// cString returns s up to its first NUL byte.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// parseMarker is OpenSSH's check_markers. Its quirk is kept: a marker
// ends at the first space anywhere on the line (strchr), and only if the
// line has no space at all at the first tab, so "@revoked<TAB>host key"
// is an invalid marker to OpenSSH and the line is skipped.
func parseMarker(s string) (Marker, string, bool) {
	m := MarkerNone
	for strings.HasPrefix(s, "@") {
		if m != MarkerNone {
			return m, s, false // only one marker is allowed
		}
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			sp = strings.IndexByte(s, '\t')
		}
		if sp <= 1 || sp >= 32 {
			return m, s, false
		}
		switch s[:sp] {
		case "@cert-authority":
			m = MarkerCertAuthority
		case "@revoked":
			m = MarkerRevoked
		default:
			return m, s, false
		}
		s = strings.TrimLeft(s[sp:], " \t")
	}
	return m, s, true
}

// keyTypeAliases are the names OpenSSH's sshkey_read accepts in place of
// a key's own type: the RSA signature algorithm names map to RSA keys.
var keyTypeAliases = map[string]string{
	ssh.KeyAlgoRSASHA256:     ssh.KeyAlgoRSA,
	ssh.KeyAlgoRSASHA512:     ssh.KeyAlgoRSA,
	ssh.CertAlgoRSASHA256v01: ssh.CertAlgoRSAv01,
	ssh.CertAlgoRSASHA512v01: ssh.CertAlgoRSAv01,
}

// minRSABits is OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE: smaller RSA keys
// do not parse.
const minRSABits = 1024

// parseKey is sshkey_read: "type base64 [comment]". The type must name
// the key in the blob.
func parseKey(s string) (ssh.PublicKey, string, bool) {
	end := strings.IndexAny(s, " \t")
	if end < 0 {
		return nil, "", false
	}
	typ := s[:end]
	s = strings.TrimLeft(s[end:], " \t")
	if s == "" {
		return nil, "", false
	}
	end = strings.IndexAny(s, " \t")
	if end < 0 {
		end = len(s)
	}
	blob, ok := decodeBase64(s[:end])
	if !ok {
		return nil, "", false
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return nil, "", false
	}
	if alias, ok := keyTypeAliases[typ]; ok {
		typ = alias
	}
	if key.Type() != typ || tooSmallRSA(key) {
		return nil, "", false
	}
	return key, strings.TrimLeft(s[end:], " \t"), true
}

func tooSmallRSA(k ssh.PublicKey) bool {
	ck, ok := plainKey(k).(ssh.CryptoPublicKey)
	if !ok {
		return false
	}
	r, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	return ok && r.N.BitLen() < minRSABits
}

// plainKey returns the key inside a certificate, or k itself.
func plainKey(k ssh.PublicKey) ssh.PublicKey {
	if c, ok := k.(*ssh.Certificate); ok {
		return c.Key
	}
	return k
}

// sameKey reports whether a and b are the same public key, ignoring any
// certificate around either (OpenSSH's sshkey_equal_public).
func sameKey(a, b ssh.PublicKey) bool {
	return bytes.Equal(plainKey(a).Marshal(), plainKey(b).Marshal())
}
