package krb5

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/jcmturner/gokrb5/v8/config"
)

func TestServicePrincipal(t *testing.T) {
	cfg, err := config.NewFromString(`[libdefaults]
 default_realm = DEFAULT.ORG
[domain_realm]
 .example.org = EXAMPLE.ORG
 exact.other.net = OTHER.NET
`)
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"host@Server.Example.ORG.": "host/server.example.org@EXAMPLE.ORG",
		"host@exact.other.net":     "host/exact.other.net@OTHER.NET",
		"host@somewhere.net":       "host/somewhere.net@DEFAULT.ORG",
		"nfs@localhost":            "nfs/localhost@DEFAULT.ORG",
	} {
		p, err := servicePrincipal(target, cfg, "CLIENT.ORG")
		if err != nil || p.String() != want {
			t.Errorf("%s: %s, %v; want %s", target, p, err, want)
		}
	}
	p, err := servicePrincipal("host@somewhere.net", config.New(), "CLIENT.ORG")
	if err != nil || p.String() != "host/somewhere.net@CLIENT.ORG" {
		t.Errorf("without default_realm: %s, %v", p, err)
	}
	for _, bad := range []string{"host", "@server", "host@", "host/x@server", "host@a@b", "host@a\x00b"} {
		if _, err := servicePrincipal(bad, cfg, "CLIENT.ORG"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCCacheName(t *testing.T) {
	for name, want := range map[string]string{
		"FILE:/tmp/cc": "/tmp/cc",
		"/tmp/cc":      "/tmp/cc",
		"relative":     "relative",
		"./a:b":        "./a:b",
	} {
		if got, err := ccachePath(name); err != nil || got != want {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	for _, name := range []string{"KCM:", "KEYRING:persistent:0", "DIR:/run/user/0/krb5cc", "MEMORY:x", "API:"} {
		_, err := ccachePath(name)
		if !errors.Is(err, gssapi.ErrNoCredentials) || !strings.Contains(err.Error(), "system GSS-API library") {
			t.Errorf("%s: %v", name, err)
		}
	}
	uid := strconv.Itoa(os.Getuid())
	if got := defaultCCacheName(""); got != "FILE:/tmp/krb5cc_"+uid {
		t.Errorf("built-in default %q", got)
	}
	conf := "[realms]\n default_ccache_name = nope\n[libdefaults]\n  default_ccache_name = KEYRING:persistent:%{uid}\n"
	if got := defaultCCacheName(conf); got != "KEYRING:persistent:"+uid {
		t.Errorf("from krb5.conf %q", got)
	}
}

// New refuses a cache type it cannot read, naming the way out.
func TestNewRefusesOtherCacheTypes(t *testing.T) {
	_, err := New(WithConfigFile(writeFile(t, "krb5.conf", "")), WithCCache("KCM:"))
	if !errors.Is(err, gssapi.ErrNoCredentials) || !strings.Contains(err.Error(), "system GSS-API library") {
		t.Fatalf("err = %v", err)
	}
}

// The encryption types asked of the KDC: krb5.conf's supported ones in
// its order, else MIT's default list, which has RFC 8009's types
// (gokrb5's default has not).
func TestRequestEtypes(t *testing.T) {
	for conf, want := range map[string][]int32{
		"": {18, 17, 20, 19},
		"[libdefaults]\n dns_lookup_kdc = false\n": {18, 17, 20, 19},
		"[libdefaults]\n default_tgs_enctypes = aes128-cts-hmac-sha256-128 des3-cbc-sha1 aes256-cts-hmac-sha1-96\n": {19, 18},
		"[libdefaults]\n default_tgs_enctypes = des3-cbc-sha1\n":                                                    {18, 17, 20, 19},
	} {
		m, err := New(WithConfigFile(writeFile(t, "krb5.conf", conf)), WithCCache("/nonexistent"))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.(*mechanism).etypes; !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", conf, got, want)
		}
	}
}
