package amiko

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/krb5"
	"github.com/amiko-ssh/amiko/internal/gsstest"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// newMechanism makes a GSS-API mechanism that uses the realm of kdc and
// the credential cache ccache, for t.
type newMechanism func(t *testing.T, kdc *sshtest.KDC, ccache string) gssapi.Mechanism

// kerberosMechanisms are the mechanisms the Kerberos tests run with, by
// name: the pure-Go one, and the system library's when the tests are
// built with -tags amiko_gssapi (gss_system_test.go adds it).
var kerberosMechanisms = map[string]newMechanism{
	"krb5": func(t *testing.T, kdc *sshtest.KDC, ccache string) gssapi.Mechanism {
		mech, err := krb5.New(krb5.WithConfigFile(kdc.Config), krb5.WithCCache(ccache))
		if err != nil {
			t.Fatal(err)
		}
		return mech
	},
}

// forEachMechanism runs f as a subtest for each of kerberosMechanisms.
func forEachMechanism(t *testing.T, f func(t *testing.T, newMech newMechanism)) {
	for _, name := range slices.Sorted(maps.Keys(kerberosMechanisms)) {
		t.Run(name, func(t *testing.T) { f(t, kerberosMechanisms[name]) })
	}
}

// kerberosServer starts a realm and an sshd that accepts it, and gives
// the test a ticket, forwardable unless told otherwise, and a mechanism
// made by newMech that uses it.
func kerberosServer(t *testing.T, newMech newMechanism, forwardable bool) (*sshtest.Server, *sshtest.KDC, gssapi.Mechanism) {
	t.Helper()
	isolate(t)
	kdc := sshtest.StartKDC(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Kerberos: kdc})
	ccache := kdc.Kinit(t, forwardable)
	return s, kdc, newMech(t, kdc, ccache)
}

// gssOpts are options with GSS-API only: no key, no password, no agent.
func gssOpts(s *sshtest.Server, mech gssapi.Mechanism, t *testing.T) *ConnectOptions {
	return &ConnectOptions{Port: port(t, s.Addr), Username: s.User, GSSMechanism: mech,
		DisableAgent: true, DisableKeyDiscovery: true}
}

// klist runs klist on the server and returns what it printed.
func klist(t *testing.T, c *Client) string {
	out, _ := c.Command(t.Context(), "klist 2>&1; true").Output()
	return string(out)
}

// TestKerberosGSSAPIWithMIC: gss_auth logs in to sshd with a Kerberos
// ticket, no key and no password; the forwarded TGT is on the server
// with delegation, and not without.
func TestKerberosGSSAPIWithMIC(t *testing.T) {
	forEachMechanism(t, func(t *testing.T, newMech newMechanism) {
		s, _, mech := kerberosServer(t, newMech, true)
		for _, delegate := range []bool{true, false} {
			o := gssOpts(s, mech, t)
			o.GSSAuth, o.DisableGSSDelegation = true, !delegate
			c := NewClient()
			c.SetMissingHostKeyPolicy(trustServer(s))
			if err := c.Connect(t.Context(), "localhost", o); err != nil {
				t.Fatal(err)
			}
			info, _ := c.ConnInfo()
			if info.AuthMethod != "gssapi-with-mic (host@localhost)" {
				t.Fatalf("method %q", info.AuthMethod)
			}
			tickets := klist(t, c)
			if got := strings.Contains(tickets, "krbtgt/AMIKO.TEST@AMIKO.TEST"); got != delegate {
				t.Fatalf("delegation %v, klist on the server:\n%s", delegate, tickets)
			}
			c.Close()
		}
	})
}

// TestKerberosGSSKex: gss_kex negotiates each GSS-API key exchange
// method with sshd (its log names it), logs in with gssapi-keyex, skips
// the known_hosts check for a server the exchange authenticated (the
// default RejectPolicy and no known hosts), and a rekey is a GSS-API
// key exchange again.
func TestKerberosGSSKex(t *testing.T) {
	forEachMechanism(t, func(t *testing.T, newMech newMechanism) {
		s, _, mech := kerberosServer(t, newMech, true)
		suffix := "toWM5Slw5Ew8Mqkay+al2g=="
		for _, family := range []string{"gss-curve25519-sha256-", "gss-nistp256-sha256-", "gss-group16-sha512-", "gss-group14-sha256-", "gss-group14-sha1-", "gss-gex-sha1-"} {
			t.Run(family, func(t *testing.T) {
				o := gssOpts(s, mech, t)
				o.GSSKex = true
				o.PreferredAlgorithms.GSSKex = []string{family}
				c := NewClient() // RejectPolicy, no host keys
				if err := c.Connect(t.Context(), "localhost", o); err != nil {
					t.Fatalf("%v\n%s", err, s.Log())
				}
				defer c.Close()
				info, _ := c.ConnInfo()
				if info.Algorithms.Kex != family+suffix || !strings.HasPrefix(info.AuthMethod, "gssapi-keyex") {
					t.Fatalf("kex %s, method %q", info.Algorithms.Kex, info.AuthMethod)
				}
				if !strings.Contains(s.Log(), "kex: algorithm: "+family+suffix) {
					t.Fatalf("sshd's log does not name %s", family+suffix)
				}
				if tickets := klist(t, c); !strings.Contains(tickets, "krbtgt/AMIKO.TEST@AMIKO.TEST") {
					t.Fatalf("no forwarded TGT:\n%s", tickets)
				}
				c.mu.Lock()
				tr := c.conn.t
				c.mu.Unlock()
				if err := tr.Rekey(); err != nil {
					t.Fatal(err)
				}
				if out, err := c.Command(t.Context(), "echo after rekey").Output(); err != nil || string(out) != "after rekey\n" {
					t.Fatalf("after rekey: %q %v", out, err)
				}
				if tr.KexCount() < 2 || tr.Algorithms().Kex != family+suffix {
					t.Fatalf("rekey: %d exchanges, %s", tr.KexCount(), tr.Algorithms().Kex)
				}
			})
		}
	})
}

// TestKerberosTrickleDown: a wrong gss_host or no ticket fails GSS-API
// cleanly, noted among the attempts, and the cascade goes on to the key.
func TestKerberosTrickleDown(t *testing.T) {
	forEachMechanism(t, func(t *testing.T, newMech newMechanism) {
		s, kdc, mech := kerberosServer(t, newMech, true)
		for name, tc := range map[string]struct {
			noTicket bool
			gssHost  string
			want     error
		}{
			"wrong gss_host": {false, "nosuchhost.amiko.test", gssapi.ErrUnknownServer},
			"no ticket":      {true, "", gssapi.ErrNoCredentials},
		} {
			t.Run(name, func(t *testing.T) {
				m := mech
				if tc.noTicket {
					// Made in the subtest: the system mechanism's cache is
					// set in the environment, for the subtest only.
					m = newMech(t, kdc, filepath.Join(t.TempDir(), "none"))
				}
				o := gssOpts(s, m, t)
				o.GSSAuth, o.GSSHost = true, tc.gssHost
				c := NewClient()
				c.SetMissingHostKeyPolicy(trustServer(s))
				err := c.Connect(t.Context(), "localhost", o)
				var ae *AuthenticationError
				if !errors.As(err, &ae) || len(ae.Attempts) == 0 || ae.Attempts[0].Method != "gssapi-with-mic" || !errors.Is(ae.Attempts[0].Err, tc.want) {
					t.Fatalf("without a key: %v", err)
				}
				o.PKey = s.UserKey
				if err := c.Connect(t.Context(), "localhost", o); err != nil {
					t.Fatal(err)
				}
				if info, _ := c.ConnInfo(); info.AuthMethod != "publickey (pkey)" {
					t.Fatalf("method %q", info.AuthMethod)
				}
				c.Close()
			})
		}
	})
}

// TestKerberosGSSKexUnansweredKDC: a GSS-API key exchange whose
// mechanism is still waiting for its KDC ends with Connect's context
// (gsstest's Unanswered mechanism waits until its context ends, so
// without the context this test hangs). The context ends once the
// mechanism was asked, however long sshd's start and the KEXINITs took.
func TestKerberosGSSKexUnansweredKDC(t *testing.T) {
	s, _, _ := kerberosServer(t, kerberosMechanisms["krb5"], true)
	mech := &gsstest.Mechanism{Unanswered: true}
	o := gssOpts(s, mech, t)
	o.GSSKex = true
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- NewClient().Connect(ctx, "localhost", o) }()
	select {
	case <-mech.Asked():
	case err := <-errc:
		t.Fatalf("Connect ended before the mechanism was asked: %v", err)
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("the key exchange never asked the mechanism")
	}
	if mech.Target != "host@localhost" {
		t.Errorf("the mechanism was asked for %q", mech.Target)
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Connect: %v, want the context's error", err)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("Connect still waiting on the mechanism after its context ended")
	}
}
