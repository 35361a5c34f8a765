package knownhosts

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Public keys made by ssh-keygen, for tests that need no ssh-keygen.
const (
	edKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE982bUeJrdGBXHUfVm4EdjQgHTbMicyXdgPlcnjxa5h"
	ecKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNpVepDFgQ0v+l06mnDMT7VW8vvasPTu7xmRolsiNqEpWzF1C/XTw7C/J10ETZbYj87hdb3cZhVP345vJhR8KrI="
)

func parseAuthorized(t testing.TB, s string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseLine(t *testing.T) {
	edBlob := edKey[len("ssh-ed25519 "):]
	tests := []struct {
		line    string
		ok      bool
		marker  Marker
		hosts   string
		comment string
	}{
		{line: "host " + edKey + "\n", ok: true, hosts: "host"},
		{line: "host " + edKey, ok: true, hosts: "host"},
		{line: "  \thost\t\t" + edKey + "  a comment here\n", ok: true, hosts: "host", comment: "a comment here"},
		{line: "host " + edKey + "\r\n", ok: true, hosts: "host"}, // b64_pton skips the \r
		{line: "host " + edKey + " c\r\n", ok: true, hosts: "host", comment: "c\r"},
		{line: "a,b,!c,[d]:2 " + ecKey + "\n", ok: true, hosts: "a,b,!c,[d]:2"},
		{line: "@cert-authority *.example " + edKey + "\n", ok: true, marker: MarkerCertAuthority, hosts: "*.example"},
		{line: "@revoked * " + edKey + "\n", ok: true, marker: MarkerRevoked, hosts: "*"},
		{line: "  @revoked   * " + edKey + "\n", ok: true, marker: MarkerRevoked, hosts: "*"},
		// The marker ends at the first space on the line: a tab after it
		// makes "@revoked\t*" the marker, which is invalid.
		{line: "@revoked\t* " + edKey + "\n"},
		// ... unless the line has no space at all.
		{line: "@revoked\t*\tssh-ed25519\t" + edBlob + "\n", ok: true, marker: MarkerRevoked, hosts: "*"},
		{line: "@revoked @revoked * " + edKey + "\n"},
		{line: "@cert-authority\n"},
		{line: "@bogus host " + edKey + "\n"},
		{line: "@ host " + edKey + "\n"},
		{line: "# comment " + edKey + "\n"},
		{line: "   # indented comment\n"},
		{line: "\n"},
		{line: " \t \n"},
		{line: "\r\n"},
		{line: "host\n"},
		{line: "host #" + edKey + "\n"},
		{line: "host " + edKey[:len("ssh-ed25519")] + "\n"},
		{line: "host ssh-rsa " + edBlob + "\n"},          // type differs from the blob's
		{line: "host ssh-ed25519 " + edBlob[:60] + "\n"}, // truncated base64
		{line: "host ssh-ed25519 AAAA\n"},
		{line: "host nonsense " + edBlob + "\n"},
		{line: "|1|bad|hash " + edKey + "\n"},
		// A NUL ends the line, but OpenSSH steps over one that ends the
		// host field (ssh-keygen -F agrees: TestLookupAgreesWithSSHKeygen).
		{line: "host\x00 " + edKey + "\n", ok: true, hosts: "host"},
		{line: "host\x00\n"},
		{line: "host " + edKey[:20] + "\x00" + edKey[20:] + "\n"},
		{line: "\x00host " + edKey + "\n"},
		{line: "@revoked \x00" + edKey + "\n", ok: true, marker: MarkerRevoked, hosts: ""}, // found by FuzzParse
		{line: "host " + edKey + "\x00 tail\n", ok: true, hosts: "host"},
	}
	for _, tt := range tests {
		e := parseLine([]byte(tt.line))
		if (e != nil) != tt.ok {
			t.Errorf("parseLine(%q): usable = %v, want %v", tt.line, e != nil, tt.ok)
			continue
		}
		if e == nil {
			continue
		}
		if e.marker != tt.marker || e.hosts != tt.hosts || e.comment != tt.comment {
			t.Errorf("parseLine(%q) = marker %v hosts %q comment %q, want %v %q %q",
				tt.line, e.marker, e.hosts, e.comment, tt.marker, tt.hosts, tt.comment)
		}
	}
}

func TestParseLineRSAAliases(t *testing.T) {
	// ssh-keygen -F accepts the RSA signature algorithm names as key types
	// (checked against OpenSSH 9.2 in TestLookupAgreesWithSSHKeygen).
	k := newKey(t, "rsa")
	blob := k.line[len("ssh-rsa "):]
	for _, typ := range []string{"ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"} {
		if parseLine([]byte("h "+typ+" "+blob)) == nil {
			t.Errorf("%s line rejected", typ)
		}
	}
}

func TestParseLineSmallRSA(t *testing.T) {
	n, _ := new(big.Int).SetString("c"+string(bytes.Repeat([]byte("7"), 191)), 16) // 768 bits
	pub, err := ssh.NewPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	line := "h ssh-rsa " + base64.StdEncoding.EncodeToString(pub.Marshal())
	if parseLine([]byte(line)) != nil {
		t.Error("a 768-bit RSA key was accepted; OpenSSH refuses keys under 1024 bits")
	}
}

func TestParseKeepsEveryByte(t *testing.T) {
	data := "# comment\n\n   \n" +
		"host " + edKey + " comment\r\n" +
		"@cert-authority *.example " + ecKey + "\n" +
		"@revoked * " + edKey + "\n" +
		"|1|Jw49itl/aJTyE5vQF9PUt1xTsmc=|bLIyK9vf1t8/eWRD0/tz0awxRhw= " + edKey + "\n" +
		"garbage line\n" +
		"\x00\xff binary\n" +
		"last " + edKey // no newline at the end
	f := mustParse(t, data)
	if got := string(f.Bytes()); got != data {
		t.Errorf("Bytes() differs from the data parsed:\n got %q\nwant %q", got, data)
	}
	if n := len(f.lines); n != 10 {
		t.Errorf("%d lines, want 10", n)
	}
}

func TestLookup(t *testing.T) {
	data := "a.example,b.example " + edKey + "\n" +
		"*.example,!c.example " + ecKey + "\n" +
		"@cert-authority *.example " + ecKey + "\n" +
		"@revoked * " + edKey + "\n" +
		"[a.example]:2222 " + ecKey + "\n"
	f := mustParse(t, data)
	r := f.Lookup("A.Example")
	if len(r.Keys) != 2 || len(r.Authorities) != 1 || len(r.Revoked) != 1 || len(r.Matches) != 4 {
		t.Fatalf("Lookup(a.example) = %d keys, %d CAs, %d revoked, %d lines", len(r.Keys), len(r.Authorities), len(r.Revoked), len(r.Matches))
	}
	if r.Matches[0].Line != 1 || r.Matches[3].Line != 4 || r.Matches[2].Marker != MarkerCertAuthority {
		t.Errorf("matches %v", r.Matches)
	}
	if r := f.Lookup("c.example"); len(r.Keys) != 0 || len(r.Authorities) != 1 {
		t.Errorf("c.example: %d keys, %d CAs; the negation excludes only its own line", len(r.Keys), len(r.Authorities))
	}
	if r := f.Lookup(HostPort("a.example", 2222)); len(r.Keys) != 1 || r.Matches[len(r.Matches)-1].Line != 5 {
		t.Errorf("[a.example]:2222: %v", r.Matches)
	}
	if r := f.Lookup("other"); r.Known() || len(r.Revoked) != 1 {
		t.Errorf("other: %+v", r)
	}
}

func TestHostPort(t *testing.T) {
	for _, tt := range []struct {
		host string
		port int
		want string
	}{
		{"Host.Example", 22, "host.example"},
		{"host", 0, "host"},
		{"host", 2222, "[host]:2222"},
		{"10.0.0.1", 22, "10.0.0.1"},
		{"::1", 22, "::1"},
		{"::1", 2222, "[::1]:2222"},
		{"[::1]", 2222, "[::1]:2222"},
	} {
		if got := HostPort(tt.host, tt.port); got != tt.want {
			t.Errorf("HostPort(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
	for in, want := range map[string]string{"h": "h", "[h]:2222": "h", "[::1]:22": "::1", "::1": "::1"} {
		if got := hostName(in); got != want {
			t.Errorf("hostName(%q) = %q, want %q", in, got, want)
		}
	}
}
