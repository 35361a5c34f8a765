package knownhosts

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that the data comes back
// byte for byte, that every usable line is one OpenSSH could use (a host
// field without white space or NUL, a key), and that lookups and additions on
// whatever was parsed keep the data intact. The seed corpus is in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(awkward))
	f.Add([]byte("host " + edKey + "\r\n@revoked\t*\tssh-ed25519\tAAAA\n"))
	key := parseAuthorized(f, edKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		kh, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := kh.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("Bytes() = %q, want %q", got, data)
		}
		n := 0
		for _, l := range kh.lines {
			n += len(l.raw)
			if e := l.entry; e != nil {
				// The host field may be empty: OpenSSH steps over a NUL
				// right after a marker (it then matches no name).
				if e.key == nil || strings.ContainsAny(e.hosts, " \t\x00") {
					t.Fatalf("usable line %q: %+v", l.raw, e)
				}
				kh.Lookup(e.hosts)
			}
		}
		if n != len(data) {
			t.Fatalf("lines hold %d bytes of %d", n, len(data))
		}
		for _, host := range []string{"host", "[host]:2222", "10.0.0.1", ""} {
			r := kh.Lookup(host)
			_ = Check(host, key, kh)
			_ = KnownKeyTypes(host, kh)
			if len(r.Matches) != len(r.Keys)+len(r.Authorities)+len(r.Revoked) {
				t.Fatalf("Lookup(%q): %d matches", host, len(r.Matches))
			}
		}
		if err := kh.Add("fuzz.example", key, true); err != nil {
			t.Fatal(err)
		}
		after := kh.Bytes()
		if !bytes.HasPrefix(after, data) {
			t.Fatal("Add changed the lines before it")
		}
		if err := Check("fuzz.example", key, kh); err != nil {
			var revoked *RevokedError
			if !errors.As(err, &revoked) {
				t.Fatalf("after Add: %v", err)
			}
		}
	})
}
