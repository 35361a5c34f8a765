package knownhosts

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"
)

// maxSubpattern is the size of OpenSSH's sub-pattern buffer in
// match_pattern_list (char sub[1024]). A sub-pattern that fills it makes
// the whole list fail to match, whatever came before it.
const maxSubpattern = 1024 - 1

// matchPatternList is OpenSSH's match_pattern_list(host, patterns, 1):
// comma-separated sub-patterns, each with '*' and '?' wildcards and an
// optional leading '!'. It returns -1 as soon as a negated sub-pattern
// matches, 1 if some plain sub-pattern matched, 0 otherwise. The
// patterns are lowercased (ASCII only, as C's tolower in the C locale);
// host must already be lowercase.
func matchPatternList(host, patterns string) int {
	positive := 0
	for i := 0; i < len(patterns); {
		negated := false
		if patterns[i] == '!' {
			negated = true
			i++
		}
		j := i
		for j < len(patterns) && patterns[j] != ',' && j-i < maxSubpattern {
			j++
		}
		if j-i >= maxSubpattern {
			return 0
		}
		sub := lowerASCII(patterns[i:j])
		i = j
		if i < len(patterns) && patterns[i] == ',' {
			i++
		}
		if MatchPattern(host, sub) {
			if negated {
				return -1
			}
			positive = 1
		}
	}
	return positive
}

// MatchPattern is OpenSSH's match_pattern: '*' matches any run of
// characters (including none), '?' any one character, anything else
// itself. It works on bytes, as OpenSSH does. amiko ssh's ssh_config
// matching uses it too.
func MatchPattern(s, pattern string) bool {
	// Iterative glob with single-star backtracking: linear in practice and
	// never recursive, so a hostile pattern cannot exhaust the stack.
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			si++
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// lowerASCII lowercases A-Z only, allocating only when something changes.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// hashMagic starts a hashed host name: |1|base64(salt)|base64(HMAC-SHA1).
const hashMagic = "|1|"

// hashedName is a parsed |1|salt|hash host field, ready to be matched
// without allocating: HMAC-SHA1 with the salt as key, whose padded keys
// are computed once.
type hashedName struct {
	ipad, opad [sha1.BlockSize]byte
	sum        [sha1.Size]byte
	// never is set for a field that is not exactly what hashing some name
	// with its salt gives (non-canonical base64, a second name after a
	// comma): OpenSSH compares the re-encoded hash with the field as a
	// string, so such a field matches no name.
	never bool
}

// parseHashed parses a host field that starts with '|', as OpenSSH's
// extract_salt does. ok is false for a field OpenSSH rejects ("bad host
// hash"), which makes the whole line invalid.
func parseHashed(field string) (h hashedName, ok bool) {
	rest, found := strings.CutPrefix(field, hashMagic)
	if !found {
		return h, false
	}
	b64salt, b64sum, found := strings.Cut(rest, "|")
	if !found || len(b64salt) == 0 || len(b64salt) > 1024 {
		return h, false
	}
	salt, ok := decodeBase64(b64salt)
	if !ok || len(salt) != sha1.Size {
		return h, false
	}
	for i := range h.ipad {
		h.ipad[i], h.opad[i] = 0x36, 0x5c
	}
	for i, b := range salt {
		h.ipad[i] ^= b
		h.opad[i] ^= b
	}
	sum, err := base64.StdEncoding.DecodeString(b64sum)
	h.never = err != nil || len(sum) != sha1.Size ||
		field != hashMagic+base64.StdEncoding.EncodeToString(salt)+"|"+base64.StdEncoding.EncodeToString(sum)
	copy(h.sum[:], sum)
	return h, true
}

// matches reports whether host hashes to this field with its salt.
func (h *hashedName) matches(host string) bool {
	if h.never {
		return false
	}
	var buf [sha1.BlockSize + 256]byte
	inner := sha1.Sum(append(append(buf[:0], h.ipad[:]...), host...))
	outer := sha1.Sum(append(append(buf[:0], h.opad[:]...), inner[:]...))
	return outer == h.sum
}

// decodeBase64 decodes as OpenSSH's b64_pton: white space anywhere is
// skipped, padding is required and the unused bits of the last
// character must be zero.
func decodeBase64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, " \t\n\v\f\r") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\n', '\v', '\f', '\r':
				return -1
			}
			return r
		}, s)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return b, err == nil
}
