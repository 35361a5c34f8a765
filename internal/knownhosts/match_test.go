package knownhosts

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// opensshMatchPattern is match.c's match_pattern transcribed as it is
// (recursive), to check the iterative one against.
func opensshMatchPattern(s, p string) bool {
	for {
		if p == "" {
			return s == ""
		}
		if p[0] == '*' {
			for p != "" && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			if p[0] != '?' && p[0] != '*' {
				for ; s != ""; s = s[1:] {
					if s[0] == p[0] && opensshMatchPattern(s[1:], p[1:]) {
						return true
					}
				}
				return false
			}
			for ; s != ""; s = s[1:] {
				if opensshMatchPattern(s, p) {
					return true
				}
			}
			return false
		}
		if s == "" {
			return false
		}
		if p[0] != '?' && p[0] != s[0] {
			return false
		}
		s, p = s[1:], p[1:]
	}
}

func TestMatchPatternAgreesWithOpenSSH(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab*?."
	gen := func(n int) string {
		b := make([]byte, r.IntN(n+1))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 50000 {
		s := strings.NewReplacer("*", "", "?", "").Replace(gen(8))
		p := gen(7)
		if got, want := MatchPattern(s, p), opensshMatchPattern(s, p); got != want {
			t.Fatalf("MatchPattern(%q, %q) = %v, OpenSSH says %v", s, p, got, want)
		}
	}
}

func TestMatchPatternList(t *testing.T) {
	long := strings.Repeat("a", maxSubpattern)
	tests := []struct {
		host, patterns string
		want           int
	}{
		{"host", "host", 1},
		{"host", "HOST", 1}, // patterns are lowercased
		{"host", "other,host", 1},
		{"host", "other", 0},
		{"host.example", "*.example", 1},
		{"host.example", "*.example,!host.example", -1},
		{"host.example", "!host.example,*.example", -1},
		{"host.example", "!other.example", 0}, // a negation alone never matches
		{"host1", "host?", 1},
		{"host12", "host?", 0},
		{"[host]:2222", "host", 0},
		{"[host]:2222", "[host]:2222", 1},
		{"[host]:2222", "[host]:*", 1},
		{"[host]:2222", "*", 1},
		{"host", "[host]:22", 0},
		{"", "", 0},
		{"", "a,,b", 1}, // an empty sub-pattern matches the empty name
		{"host", "host,", 1},
		{"host", "!", 0},
		// A sub-pattern of 1023 bytes fails the whole list, even after a
		// positive match.
		{"host", "host," + long, 0},
		{"host", "host," + long[1:], 1},
		{"host", "!host," + long, -1},
		{"h\xc3\x89", "H\xc3\x89", 1},   // ASCII lowercasing only
		{"h\xc3\xa9", "H\xc3\x89", 0},   // É is not é to OpenSSH
		{"ho st", "ho st", 1},           // never in a file: fields end at spaces
		{"10.0.0.1", "10.0.0.*", 1},     // addresses are names like any other
		{"::1", "::1", 1},               //
		{"[::1]:2222", "[::1]:2222", 1}, //
	}
	for _, tt := range tests {
		if got := matchPatternList(tt.host, tt.patterns); got != tt.want {
			t.Errorf("matchPatternList(%q, %.40q) = %d, want %d", tt.host, tt.patterns, got, tt.want)
		}
	}
}

func TestParseHashed(t *testing.T) {
	// From ssh-keygen -H: the hash of "a.example".
	const field = "|1|Jw49itl/aJTyE5vQF9PUt1xTsmc=|bLIyK9vf1t8/eWRD0/tz0awxRhw="
	h, ok := parseHashed(field)
	if !ok {
		t.Fatal("parseHashed rejected ssh-keygen's hash")
	}
	if !h.matches("a.example") || h.matches("b.example") || h.matches("A.EXAMPLE") {
		t.Error("hash matches the wrong names")
	}
	for _, bad := range []string{
		"|1|",
		"|1|Jw49itl/aJTyE5vQF9PUt1xTsmc=",  // no hash delimiter
		"|1||bLIyK9vf1t8/eWRD0/tz0awxRhw=", // empty salt
		"|1|Jw49itl/aJTyE5vQ|bLIyK9vf1t8/eWRD0/tz0awxRhw=", // salt not 20 bytes
		"|1|Jw49itl/aJTyE5vQF9PUt1xTsm!|x",                 // salt not base64
		"|2|Jw49itl/aJTyE5vQF9PUt1xTsmc=|bLIyK9vf1t8/eWRD0/tz0awxRhw=",
	} {
		if _, ok := parseHashed(bad); ok {
			t.Errorf("parseHashed(%q) accepted", bad)
		}
	}
	// A valid salt with a hash that is not canonical base64, or another
	// name after it, parses but never matches (OpenSSH compares strings).
	h, ok = parseHashed(field + ",a.example")
	if !ok || h.matches("a.example") {
		t.Errorf("hashed field with a second name: parsed %v, matches a.example", ok)
	}
}

func BenchmarkMatchPatternList(b *testing.B) {
	for b.Loop() {
		matchPatternList("host42.prod.example.com", "*.dev.example.com,!bad.prod.example.com,host*.prod.example.com")
	}
}

// hashHost returns the |1|salt|hash form of host with salt, computed
// with crypto/hmac as OpenSSH's host_hash does.
func hashHost(host string, salt []byte) string {
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	return hashMagic + base64.StdEncoding.EncodeToString(salt) + "|" +
		base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestHashedMatchesHMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		salt := make([]byte, sha1.Size)
		for j := range salt {
			salt[j] = byte(r.Uint32())
		}
		name := strings.Repeat("h", i%300) + ".example"
		h, ok := parseHashed(hashHost(name, salt))
		if !ok || !h.matches(name) || h.matches(name+".") {
			t.Fatalf("hash of %q with salt %x: parsed %v", name, salt, ok)
		}
	}
}
