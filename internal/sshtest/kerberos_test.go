package sshtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// krb5MechSuffix ends the name of every gss-* key exchange over the
// Kerberos 5 mechanism (RFC 4462 section 2.1).
const krb5MechSuffix = "toWM5Slw5Ew8Mqkay+al2g=="

// gssKexMethods are the GSS-API key exchanges amiko implements, which
// Debian's sshd offers by default (GSSAPIKexAlgorithms); Debian's ssh
// also has gss-group1-sha1-, which sshd does not offer.
var gssKexMethods = []string{
	"gss-curve25519-sha256-",
	"gss-nistp256-sha256-",
	"gss-group14-sha256-",
	"gss-group16-sha512-",
	"gss-group14-sha1-",
	"gss-gex-sha1-",
}

// TestKDC checks the realm itself: tickets, their flags, the keytab, and
// added principals.
func TestKDC(t *testing.T) {
	t.Parallel()
	before := os.Getenv("KRB5_CONFIG")
	k := StartKDC(t)
	if got := os.Getenv("KRB5_CONFIG"); got != before {
		t.Errorf("StartKDC changed KRB5_CONFIG from %q to %q", before, got)
	}

	t.Run("forwardable", func(t *testing.T) {
		flags := tgtFlags(t, k, k.Kinit(t, true))
		if !strings.Contains(flags, "F") {
			t.Errorf("Kinit(forwardable) TGT flags %q lack F", flags)
		}
	})
	t.Run("not forwardable", func(t *testing.T) {
		flags := tgtFlags(t, k, k.Kinit(t, false))
		if strings.Contains(flags, "F") {
			t.Errorf("Kinit(not forwardable) TGT flags %q have F", flags)
		}
	})
	t.Run("service tickets", func(t *testing.T) {
		cc := k.Kinit(t, true)
		for _, p := range []string{"host/localhost", "host/127.0.0.1"} {
			runKrb5(t, k.Env(cc), "kvno", p)
		}
		keys := runKrb5(t, k.Env(""), "klist", "-k", k.Keytab)
		for _, p := range []string{"host/localhost@" + k.Realm, "host/127.0.0.1@" + k.Realm} {
			if !strings.Contains(keys, p) {
				t.Errorf("keytab lacks %s:\n%s", p, keys)
			}
		}
	})
	t.Run("AddPrincipal", func(t *testing.T) {
		name := k.AddPrincipal(t, "host/elsewhere.test", "")
		if want := "host/elsewhere.test@" + k.Realm; name != want {
			t.Errorf("AddPrincipal returned %q, want %q", name, want)
		}
		kt := filepath.Join(t.TempDir(), "keytab")
		k.AddToKeytab(t, kt, name)
		if keys := runKrb5(t, k.Env(""), "klist", "-k", kt); !strings.Contains(keys, name) {
			t.Errorf("keytab lacks %s:\n%s", name, keys)
		}
		// -norandkey: sshd's keytab still matches the KDC.
		k.AddToKeytab(t, kt, "host/localhost")
		cc := k.Kinit(t, true)
		runKrb5(t, k.Env(cc), "kvno", "-k", k.Keytab, "host/localhost")
		runKrb5(t, k.Env(cc), "kvno", "-k", kt, name)
	})
}

// TestKDCStops checks that the KDC is gone after its test's cleanup.
func TestKDCStops(t *testing.T) {
	t.Parallel()
	var pid int
	var dir string
	t.Run("kdc", func(t *testing.T) {
		k := StartKDC(t)
		dir, pid = k.Dir, k.Pid
	})
	if pid == 0 {
		t.Fatal("no KDC pid")
	}
	// Cleanup reaps the KDC, so its pid is free, or a stranger's.
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "krb5kdc" {
		t.Errorf("krb5kdc (pid %d) still runs after cleanup", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("KDC directory %s left behind: %v", dir, err)
	}
}

// TestOpenSSHKerberos logs in to sshd with OpenSSH's ssh and a ticket from
// the realm, by gssapi-with-mic and by gssapi-keyex after each gss-* key
// exchange, with and without delegation.
func TestOpenSSHKerberos(t *testing.T) {
	t.Parallel()
	Require(t, "openssh")
	k := StartKDC(t)
	s := StartOpenSSH(t, Options{Kerberos: k})
	fwd := k.Kinit(t, true)

	type tc struct {
		name      string
		host      string // default "localhost"
		ccache    string // default fwd
		method    string // PreferredAuthentications
		gssKex    string // GSSAPIKexAlgorithms; "" for no GSS kex
		delegate  bool
		forwarded bool // whether the session must hold a TGT
	}
	cases := []tc{
		{name: "gssapi-with-mic", method: "gssapi-with-mic", delegate: true, forwarded: true},
		{name: "gssapi-with-mic/127.0.0.1", host: "127.0.0.1", method: "gssapi-with-mic", delegate: true, forwarded: true},
		{name: "gssapi-with-mic/no delegation", method: "gssapi-with-mic"},
		{name: "gssapi-with-mic/not forwardable", ccache: k.Kinit(t, false), method: "gssapi-with-mic", delegate: true},
		{name: "gssapi-with-mic/after gss kex", method: "gssapi-with-mic", gssKex: gssKexMethods[0], delegate: true, forwarded: true},
		{name: "gssapi-keyex/no delegation", method: "gssapi-keyex", gssKex: gssKexMethods[0]},
	}
	for _, m := range gssKexMethods {
		cases = append(cases, tc{name: "gssapi-keyex/" + m, method: "gssapi-keyex", gssKex: m, delegate: true, forwarded: true})
	}
	// Sequential, so that the part of sshd's log each case reads is its own.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.host == "" {
				c.host = "localhost"
			}
			if c.ccache == "" {
				c.ccache = fwd
			}
			mark := len(s.Log())
			out := gssSSH(t, k, s, c.ccache, c.host, c.method, c.gssKex, c.delegate)
			log := s.Log()[mark:]

			if want := "Accepted " + c.method + " for " + s.User + " from 127.0.0.1 port " + out.clientPort + " ssh2: " + k.UserPrincipal; !strings.Contains(log, want) {
				t.Errorf("sshd did not log %q:\n%s", want, tail(log, 8<<10))
			}
			kex := regexp.MustCompile(`kex: algorithm: (\S+)`).FindStringSubmatch(log)
			switch {
			case kex == nil:
				t.Errorf("sshd logged no key exchange algorithm")
			case c.gssKex != "" && kex[1] != c.gssKex+krb5MechSuffix:
				t.Errorf("key exchange %s, want %s", kex[1], c.gssKex+krb5MechSuffix)
			case c.gssKex == "" && strings.HasPrefix(kex[1], "gss-"):
				t.Errorf("key exchange %s, want no GSS-API key exchange", kex[1])
			}

			if c.forwarded {
				if out.ccache == "" || !strings.Contains(out.klist, "Default principal: "+k.UserPrincipal) ||
					!strings.Contains(out.klist, "krbtgt/"+k.Realm+"@"+k.Realm) {
					t.Fatalf("no forwarded TGT in the session: KRB5CCNAME=%q, klist:\n%s", out.ccache, out.klist)
				}
				// GSSAPICleanupCredentials: sshd removes it once the session ends.
				path := strings.TrimPrefix(out.ccache, "FILE:")
				waitGone(t, path)
			} else if out.ccache != "" || strings.Contains(out.klist, "krbtgt/") {
				t.Errorf("credentials in the session: KRB5CCNAME=%q, klist:\n%s", out.ccache, out.klist)
			}
		})
	}
}

// sshResult is what the remote command of gssSSH reported.
type sshResult struct {
	clientPort string // from SSH_CLIENT, to find the connection in sshd's log
	ccache     string // KRB5CCNAME in the session
	klist      string // klist -f's output
}

// gssSSH runs OpenSSH's ssh against s with the realm's ticket in ccache,
// authenticating by method only, and reports the session's credentials.
func gssSSH(t *testing.T, k *KDC, s *Server, ccache, host, method, gssKex string, delegate bool) sshResult {
	t.Helper()
	_, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	args := []string{"-F", "/dev/null",
		"-o", "BatchMode=yes",
		"-o", "AddressFamily=inet", // sshd listens on 127.0.0.1 only
		"-o", "ConnectTimeout=30",
		"-o", "UserKnownHostsFile=" + filepath.Join(t.TempDir(), "known_hosts"),
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=no",
		"-o", "GSSAPIAuthentication=yes",
		"-o", "GSSAPIKeyExchange=" + yesNo[gssKex != ""],
		"-o", "GSSAPIDelegateCredentials=" + yesNo[delegate],
		"-o", "PreferredAuthentications=" + method,
	}
	if gssKex != "" {
		args = append(args, "-o", "GSSAPIKexAlgorithms="+gssKex)
	}
	args = append(args, "-p", port, s.User+"@"+host,
		`echo "client=$SSH_CLIENT"; echo "ccache=$KRB5CCNAME"; echo klist:; klist -f 2>&1; echo "klist exit $?"`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // hang guard
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Env = append(os.Environ(), k.Env(ccache)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh %s: %v\nstdout:\n%s\nstderr:\n%s\nsshd:\n%s", strings.Join(args, " "), err, out, stderr.String(), tail(s.Log(), 8<<10))
	}
	var r sshResult
	stdout, klist, _ := strings.Cut(string(out), "klist:\n")
	r.klist = klist
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "client="); ok {
			if f := strings.Fields(v); len(f) == 3 {
				r.clientPort = f[1]
			}
		}
		if v, ok := strings.CutPrefix(l, "ccache="); ok {
			r.ccache = v
		}
	}
	if r.clientPort == "" {
		t.Fatalf("no SSH_CLIENT in the session's output:\n%s", out)
	}
	return r
}

// TestPythonGSSAPI checks that python3-gssapi, MIT's GSS-API binding, works
// against the realm as initiator and as acceptor (the keytab from
// AcceptorEnv): a Kerberos 5 context with mutual authentication,
// delegation, and MICs both ways.
func TestPythonGSSAPI(t *testing.T) {
	t.Parallel()
	Require(t, "python3-gssapi")
	k := StartKDC(t)
	cmd := exec.Command(python, "-c", pythonGSSAPIScript)
	cmd.Env = append(append(os.Environ(), k.AcceptorEnv()...), k.Env(k.Kinit(t, true))...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got struct {
		Initiator, Acceptor, Delegated, Mech string
		BadMICRejected                       bool `json:"bad_mic_rejected"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	if got.Initiator != k.UserPrincipal || got.Delegated != k.UserPrincipal {
		t.Errorf("acceptor saw initiator %q, delegated credentials of %q; want %q", got.Initiator, got.Delegated, k.UserPrincipal)
	}
	if want := "host/localhost@" + k.Realm; got.Acceptor != want {
		t.Errorf("initiator saw acceptor %q, want %q", got.Acceptor, want)
	}
	if got.Mech != "1.2.840.113554.1.2.2" {
		t.Errorf("mechanism %s, want Kerberos 5", got.Mech)
	}
	if !got.BadMICRejected {
		t.Error("a MIC over other data verified")
	}
}

const pythonGSSAPIScript = `
import json, gssapi
from gssapi.raw import misc
F = gssapi.RequirementFlag
init = gssapi.SecurityContext(
    name=gssapi.Name("host@localhost", gssapi.NameType.hostbased_service),
    usage="initiate",
    flags=F.delegate_to_peer | F.mutual_authentication | F.integrity)
acc = gssapi.SecurityContext(usage="accept")
tok = init.step()
while not (init.complete and acc.complete):
    tok = acc.step(tok)
    if not init.complete:
        tok = init.step(tok)
acc.verify_signature(b"to acceptor", init.get_signature(b"to acceptor"))
init.verify_signature(b"to initiator", acc.get_signature(b"to initiator"))
try:
    acc.verify_signature(b"other", init.get_signature(b"data"))
    bad = False
except misc.GSSError:
    bad = True
print(json.dumps({
    "initiator": str(acc.initiator_name),
    "acceptor": str(init.target_name),
    "delegated": str(acc.delegated_creds.name) if acc.delegated_creds else "",
    "mech": acc.mech.dotted_form,
    "bad_mic_rejected": bad,
}))
`

// tgtFlags returns klist -f's flags for the TGT in ccache.
func tgtFlags(t *testing.T, k *KDC, ccache string) string {
	t.Helper()
	out := runKrb5(t, k.Env(ccache), "klist", "-f")
	_, after, ok := strings.Cut(out, "krbtgt/"+k.Realm+"@"+k.Realm)
	if !ok {
		t.Fatalf("no TGT in %s:\n%s", ccache, out)
	}
	m := regexp.MustCompile(`Flags: (\S*)`).FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("no flags in klist -f:\n%s", out)
	}
	return m[1]
}

// runKrb5 runs a Kerberos client program with env added.
func runKrb5(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitGone waits for path to be removed.
func waitGone(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // hang guard
	for {
		_, err := os.Stat(path)
		if os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s still exists after the session ended (stat: %v)", path, err)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
