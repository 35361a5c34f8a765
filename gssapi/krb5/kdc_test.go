package krb5

import (
	"bytes"
	"errors"
	"github.com/amiko-ssh/amiko/internal/gsstest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// These tests run the mechanism against a real MIT KDC (sshtest's
// throwaway realm) and a real MIT GSS-API acceptor (internal/gsstest/mit_acceptor.py
// on python3-gssapi, with the realm's keytab): what MIT accepts from
// this initiator, and what this initiator accepts from MIT, is the proof
// of interoperability, beyond the unit tests' gokrb5-built acceptor.

func newKDCMechanism(t testing.TB, k *sshtest.KDC, config, ccache string) gssapi.Mechanism {
	t.Helper()
	if config == "" {
		config = k.Config
	}
	m, err := New(WithConfigFile(config), WithCCache("FILE:"+ccache))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Against MIT: the context is established with mutual authentication,
// MIT's acceptor sees the flags and the user, MICs verify both ways
// with sequence numbers, tampered MICs fail on both sides, and with
// delegation the acceptor gets a forwarded TGT it can use.
func TestMITAcceptor(t *testing.T) {
	leaktest.Check(t)
	k := sshtest.StartKDC(t)
	forwardable := k.Kinit(t, true)
	for _, delegate := range []bool{false, true} {
		name := map[bool]string{false: "no delegation", true: "delegation"}[delegate]
		t.Run(name, func(t *testing.T) {
			a := gsstest.StartMITAcceptor(t, k)
			ctx, err := newKDCMechanism(t, k, "", forwardable).InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{Delegate: delegate})
			if err != nil {
				t.Fatal(err)
			}
			defer ctx.Close()
			a.Accept(ctx)
			c := ctx.(*secContext)
			if !c.hasAcceptorSubkey {
				t.Error("MIT's AP-REP carried no acceptor subkey; the MIC key choice went untested")
			}

			a.CheckContext(ctx, k.UserPrincipal, "mutual,sequence,integrity", delegate)
			// The initiator's MICs, in sequence; a tampered one fails at MIT.
			a.CheckInitiatorMICs(ctx)
			// The acceptor's MICs, in sequence; a tampered one is ErrBadMIC.
			for i, msg := range []string{"exchange hash", "second"} {
				ans := a.Do("sign", gsstest.Hex([]byte(msg)))
				if ans[0] != "mic" {
					t.Fatalf("MIT sign: %s", gsstest.ErrorText(t, ans))
				}
				mic := gsstest.Unhex(t, ans[1])
				if i == 1 {
					bad := append([]byte(nil), mic...)
					bad[len(bad)-1] ^= 0x80
					if err := ctx.VerifyMIC([]byte(msg), bad); !errors.Is(err, gssapi.ErrBadMIC) {
						t.Errorf("a tampered MIT MIC: err = %v, want ErrBadMIC", err)
					}
					if err := ctx.VerifyMIC([]byte(msg+"!"), mic); !errors.Is(err, gssapi.ErrBadMIC) {
						t.Errorf("MIT's MIC over another message: err = %v, want ErrBadMIC", err)
					}
				}
				if err := ctx.VerifyMIC([]byte(msg), mic); err != nil {
					t.Fatalf("MIT's MIC %d: %v", i, err)
				}
				if i == 1 {
					if err := ctx.VerifyMIC([]byte(msg), mic); !errors.Is(err, gssapi.ErrBadMIC) {
						t.Errorf("a replayed MIT MIC: err = %v, want ErrBadMIC", err)
					}
				}
			}

			// The delegated TGT: stored by MIT, used for a service ticket.
			ans := a.Do("deleg", filepath.Join(t.TempDir(), "delegated"))
			if !delegate {
				if ans[0] != "error" {
					t.Errorf("credentials arrived without delegation: %v", ans)
				}
				return
			}
			if ans[0] != "deleg" {
				t.Fatalf("the delegated credentials: %s", gsstest.ErrorText(t, ans))
			}
			klist := string(gsstest.Unhex(t, ans[1]))
			if !strings.Contains(klist, "krbtgt/"+k.Realm+"@"+k.Realm) || !strings.Contains(klist, "host/127.0.0.1@"+k.Realm) {
				t.Fatalf("klist of the delegated cache:\n%s", klist)
			}
			// klist -f: F forwardable, f forwarded, on the TGT's flags line.
			lines := strings.Split(klist, "\n")
			for i, l := range lines {
				if strings.Contains(l, "krbtgt/") && i+1 < len(lines) {
					if fl := lines[i+1]; !strings.Contains(fl, "F") || !strings.Contains(fl, "f") {
						t.Errorf("delegated TGT flags %q, want forwardable and forwarded", fl)
					}
				}
			}
		})
	}
}

// A TGT that is not forwardable cannot be delegated: the context is
// made without, as with MIT's library, and says so.
func TestMITNotForwardable(t *testing.T) {
	k := sshtest.StartKDC(t)
	a := gsstest.StartMITAcceptor(t, k)
	ctx, err := newKDCMechanism(t, k, "", k.Kinit(t, false)).InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{Delegate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	a.Accept(ctx)
	if ctx.Delegated() {
		t.Error("Delegated() with a TGT that is not forwardable")
	}
	if ans := a.Do("info"); len(ans) != 4 || ans[3] != "no" || strings.Contains(ans[2], "deleg") {
		t.Errorf("MIT's view: %v", ans)
	}
}

// RFC 8009's encryption types: with the service's session_enctypes set
// and only aes-sha2 requested, the session key, both subkeys and the
// MICs are aes-sha2, and MIT agrees on every byte.
func TestMITAESSHA2(t *testing.T) {
	k := sshtest.StartKDC(t)
	ccache := k.Kinit(t, true)
	kadmin(t, k, "setstr host/localhost session_enctypes aes256-cts-hmac-sha384-192,aes128-cts-hmac-sha256-128")
	conf, err := os.ReadFile(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	// With MIT's default list (krb5.conf names none), the service's
	// first choice, aes256-sha2, is taken; with a list, its types.
	for _, tc := range []struct{ name, config string }{
		{"default list", ""},
		{testEtypes[3].name, testEtypes[3].name},
		{testEtypes[2].name, testEtypes[2].name},
	} {
		et := testEtypes[3]
		if tc.config == testEtypes[2].name {
			et = testEtypes[2]
		}
		t.Run(tc.name, func(t *testing.T) {
			a := gsstest.StartMITAcceptor(t, k)
			config := k.Config
			if tc.config != "" {
				config = writeFile(t, "krb5.conf", strings.Replace(string(conf), "[libdefaults]",
					"[libdefaults]\n\tdefault_tgs_enctypes = "+tc.config, 1))
			}
			ctx, err := newKDCMechanism(t, k, config, ccache).InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ctx.Close()
			a.Accept(ctx)
			c := ctx.(*secContext)
			if c.sessionKey.KeyType != et.id || c.acceptorSubkey.KeyType != et.id {
				t.Fatalf("session key type %d, acceptor subkey type %d, want %d", c.sessionKey.KeyType, c.acceptorSubkey.KeyType, et.id)
			}
			mic, err := ctx.GetMIC([]byte("m"))
			if err != nil {
				t.Fatal(err)
			}
			if ans := a.Do("verify", gsstest.Hex([]byte("m")), gsstest.Hex(mic)); ans[0] != "ok" {
				t.Fatalf("MIT refused the MIC: %s", gsstest.ErrorText(t, ans))
			}
			ans := a.Do("sign", gsstest.Hex([]byte("n")))
			if err := ctx.VerifyMIC([]byte("n"), gsstest.Unhex(t, ans[1])); err != nil {
				t.Fatalf("MIT's MIC: %v", err)
			}
		})
	}
}

// kadmin runs a kadmin.local query against the realm.
func kadmin(t testing.TB, k *sshtest.KDC, query string) {
	t.Helper()
	cmd := exec.Command("/usr/sbin/kadmin.local", "-r", k.Realm, "-q", query)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+k.Config, "KRB5_KDC_PROFILE="+filepath.Join(k.Dir, "kdc.conf"))
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("rror")) {
		t.Fatalf("kadmin.local %q: %v\n%s", query, err, out)
	}
}

// The errors a real KDC gives.
func TestMITKDCErrors(t *testing.T) {
	k := sshtest.StartKDC(t)
	m := newKDCMechanism(t, k, "", k.Kinit(t, true))
	_, err := m.InitSecContext(t.Context(), "host@nosuch.localhost", gssapi.ContextOptions{})
	if !errors.Is(err, gssapi.ErrUnknownServer) {
		t.Errorf("unknown service: err = %v, want ErrUnknownServer", err)
	}
	_, err = m.InitSecContext(t.Context(), "nosuchservice@localhost", gssapi.ContextOptions{Delegate: true})
	if !errors.Is(err, gssapi.ErrUnknownServer) {
		t.Errorf("unknown service name: err = %v, want ErrUnknownServer", err)
	}
	m = newKDCMechanism(t, k, "", filepath.Join(t.TempDir(), "no-cache"))
	if _, err := m.InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{}); !errors.Is(err, gssapi.ErrNoCredentials) {
		t.Errorf("no cache: err = %v, want ErrNoCredentials", err)
	}
	// kdestroy leaves no cache; a cache whose TGT another principal's
	// kinit replaced is still good: both are covered by the unit tests.
}

// An acceptor whose keytab has another key for the service (a server
// re-keyed since the ticket was issued) refuses the AP-REQ: the error
// is reported, not a context.
func TestMITAcceptorWrongKey(t *testing.T) {
	k := sshtest.StartKDC(t)
	m := newKDCMechanism(t, k, "", k.Kinit(t, true))
	ctx, err := m.InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	kadmin(t, k, "cpw -randkey host/localhost")
	kadmin(t, k, "ktremove -k "+k.Keytab+" host/localhost all")
	kadmin(t, k, "ktadd -k "+k.Keytab+" -norandkey host/localhost")
	a := gsstest.StartMITAcceptor(t, k)
	out, _, err := ctx.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ans := a.Do("accept", gsstest.Hex(out)); ans[0] != "error" {
		t.Fatalf("MIT accepted a ticket for an old key: %v", ans)
	}
}

// A TGT from kinit that has run out: the mechanism reads MIT's end time
// from the cache and says ErrExpired before asking the KDC.
func TestMITExpiredTGT(t *testing.T) {
	k := sshtest.StartKDC(t)
	m := newKDCMechanism(t, k, "", k.KinitArgs(t, "-l", "1s"))
	// The end time is at most a second after kinit (whole seconds, from
	// an auth time not later than now); wait it out.
	time.Sleep(2 * time.Second)
	if _, err := m.InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{}); !errors.Is(err, gssapi.ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
}
