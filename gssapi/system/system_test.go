//go:build cgo && amiko_gssapi

package system

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/krb5"
	"github.com/amiko-ssh/amiko/internal/gsstest"
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// These tests run the mechanism against a real MIT KDC (sshtest's
// throwaway realm) and MIT's GSS-API acceptor on python3-gssapi, the
// same peers as the pure-Go mechanism's tests.

// Against MIT's acceptor: the context is established with mutual
// authentication, the acceptor sees the user and the flags asked for,
// MICs verify both ways, tampered MICs fail on both sides, and with
// delegation the acceptor gets a forwarded TGT it can use; without, none.
func TestGSSMITAcceptor(t *testing.T) {
	leaktest.Check(t)
	k := realm(t, true)
	m := newMech(t)
	for _, delegate := range []bool{false, true} {
		name := map[bool]string{false: "no delegation", true: "delegation"}[delegate]
		t.Run(name, func(t *testing.T) {
			a := gsstest.StartMITAcceptor(t, k)
			ctx, err := m.InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{Delegate: delegate})
			if err != nil {
				t.Fatal(err)
			}
			defer ctx.Close()
			a.Accept(ctx)

			a.CheckContext(ctx, k.UserPrincipal, "mutual,integrity", delegate)
			// The initiator's MICs, in sequence; a tampered one fails at MIT.
			a.CheckInitiatorMICs(ctx)
			// The acceptor's MICs; a tampered one, one over another
			// message and a truncated one are ErrBadMIC.
			for i, msg := range []string{"exchange hash", "second"} {
				ans := a.Do("sign", gsstest.Hex([]byte(msg)))
				if ans[0] != "mic" {
					t.Fatalf("MIT sign: %s", gsstest.ErrorText(t, ans))
				}
				mic := gsstest.Unhex(t, ans[1])
				if i == 1 {
					bad := append([]byte(nil), mic...)
					bad[len(bad)-1] ^= 0x80
					for what, err := range map[string]error{
						"tampered":        ctx.VerifyMIC([]byte(msg), bad),
						"another message": ctx.VerifyMIC([]byte(msg+"!"), mic),
						"truncated":       ctx.VerifyMIC([]byte(msg), mic[:10]),
						"empty":           ctx.VerifyMIC([]byte(msg), nil),
					} {
						if !errors.Is(err, gssapi.ErrBadMIC) {
							t.Errorf("%s MIT MIC: err = %v, want ErrBadMIC", what, err)
						} else if what == "tampered" && statusOf(t, err).Message == "" {
							t.Errorf("no library text in %v", err)
						}
					}
				}
				if err := ctx.VerifyMIC([]byte(msg), mic); err != nil {
					t.Fatalf("MIT's MIC %d: %v", i, err)
				}
				if i == 1 {
					// Without GSS_C_REPLAY_FLAG or GSS_C_SEQUENCE_FLAG
					// (OpenSSH asks for neither) MIT checks no sequence:
					// a replayed MIC verifies, as the package doc says.
					if err := ctx.VerifyMIC([]byte(msg), mic); err != nil {
						t.Errorf("a replayed MIT MIC: %v (the package doc says it verifies)", err)
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
		})
	}
}

// A TGT that is not forwardable is not delegated: the context is made
// without, and Delegated says so.
func TestGSSMITNotForwardable(t *testing.T) {
	k := realm(t, false)
	a := gsstest.StartMITAcceptor(t, k)
	ctx, err := newMech(t).InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{Delegate: true})
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

// A DIR credential cache, which the pure-Go mechanism cannot read: the
// library finds the ticket in it, as in a KCM or KEYRING cache.
func TestGSSDIRCache(t *testing.T) {
	k := sshtest.StartKDC(t)
	dir := filepath.Join(t.TempDir(), "ccdir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("kinit", "-f", "-c", "DIR:"+dir, k.UserPrincipal)
	cmd.Env = append(os.Environ(), k.Env("")...)
	cmd.Stdin = strings.NewReader(k.Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	useRealm(t, k, "DIR:"+dir)
	if _, err := krb5.New(); !errors.Is(err, gssapi.ErrNoCredentials) {
		t.Errorf("the pure-Go mechanism on a DIR cache: err = %v, want ErrNoCredentials", err)
	}
	a := gsstest.StartMITAcceptor(t, k)
	ctx, err := newMech(t).InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{Delegate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	a.Accept(ctx)
	if ans := a.Do("info"); len(ans) != 4 || ans[1] != k.UserPrincipal || ans[3] != "yes" {
		t.Errorf("MIT's view: %v", ans)
	}
}

// The errors a real KDC and a missing cache give, with the library's
// text.
func TestGSSErrors(t *testing.T) {
	k := realm(t, true)
	m := newMech(t)
	firstStep := func(target string) error {
		t.Helper()
		ctx, err := m.InitSecContext(t.Context(), target, gssapi.ContextOptions{Delegate: true})
		if err != nil {
			t.Fatalf("InitSecContext(%q): %v", target, err)
		}
		defer ctx.Close()
		out, done, err := ctx.Step(nil)
		if err == nil {
			t.Fatalf("Step(nil) for %s: a %d-byte token, done %v", target, len(out), done)
		}
		// The context is over: nothing more may be asked of it.
		if _, _, err2 := ctx.Step(nil); !errors.Is(err2, errState) {
			t.Errorf("Step after a failure: %v", err2)
		}
		t.Logf("%s: %v", target, err)
		return err
	}
	for _, target := range []string{"host@nosuch.localhost", "nosuchservice@localhost"} {
		err := firstStep(target)
		if !errors.Is(err, gssapi.ErrUnknownServer) {
			t.Errorf("%s: err = %v, want ErrUnknownServer", target, err)
		}
		if se := statusOf(t, err); !strings.Contains(se.Message, "not found in Kerberos database") {
			t.Errorf("%s: the library's text is missing: %v", target, err)
		}
	}

	t.Run("no cache", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", filepath.Join(t.TempDir(), "none"))
		if err := firstStep("host@localhost"); !errors.Is(err, gssapi.ErrNoCredentials) {
			t.Errorf("err = %v, want ErrNoCredentials", err)
		}
	})
	t.Run("empty DIR cache", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "DIR:"+t.TempDir())
		if err := firstStep("host@localhost"); !errors.Is(err, gssapi.ErrNoCredentials) {
			t.Errorf("err = %v, want ErrNoCredentials", err)
		}
	})
	t.Run("expired TGT", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", k.KinitArgs(t, "-l", "1s"))
		// The end time is at most a second after kinit; wait it out.
		time.Sleep(2 * time.Second)
		if err := firstStep("host@localhost"); !errors.Is(err, gssapi.ErrExpired) {
			t.Errorf("err = %v, want ErrExpired", err)
		}
	})
}

// An acceptor's token that does not parse, or that answers another
// context, fails mutual authentication, and ends the context.
func TestGSSMutualFailed(t *testing.T) {
	k := realm(t, true)
	m := newMech(t)
	start := func() gssapi.Context {
		ctx, err := m.InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ctx.Close() })
		if _, _, err := ctx.Step(nil); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	// MIT's genuine AP-REP for one context, offered to another with the
	// same session key (the service ticket comes from the cache) but
	// another authenticator.
	other := start()
	first, err := m.InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	rep := gsstest.StartMITAcceptor(t, k).Accept(first)
	for name, tok := range map[string][]byte{
		"garbage":                   []byte("not a token"),
		"another context's AP-REP":  rep,
		"a truncated AP-REP":        rep[:len(rep)/2],
		"an AP-REP with a bit flip": append(append([]byte(nil), rep[:len(rep)-1]...), rep[len(rep)-1]^1),
	} {
		ctx := other
		if name != "another context's AP-REP" {
			ctx = start()
		}
		out, done, err := ctx.Step(tok)
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, gssapi.ErrMutualFailed) || done || out != nil {
			t.Errorf("%s: out %x, done %v, err %v, want ErrMutualFailed", name, out, done, err)
		}
		if _, err := ctx.GetMIC([]byte("m")); !errors.Is(err, errState) {
			t.Errorf("%s: GetMIC after the failure: %v", name, err)
		}
	}
}

// Calls out of order are errors, not crashes; Close may be repeated.
func TestGSSOutOfOrder(t *testing.T) {
	realm(t, true)
	ctx, err := newMech(t).InitSecContext(t.Context(), "host@localhost", gssapi.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ctx.Step([]byte("early")); !errors.Is(err, errState) {
		t.Errorf("a token before the first: %v", err)
	}
	if _, err := ctx.GetMIC([]byte("m")); !errors.Is(err, errState) {
		t.Errorf("GetMIC before establishment: %v", err)
	}
	if err := ctx.VerifyMIC([]byte("m"), []byte("mic")); !errors.Is(err, errState) {
		t.Errorf("VerifyMIC before establishment: %v", err)
	}
	if _, _, err := ctx.Step(nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ctx.Step(nil); !errors.Is(err, errState) {
		t.Errorf("no acceptor token: %v", err)
	}
	for range 2 {
		if err := ctx.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := ctx.Step([]byte("late")); !errors.Is(err, errState) {
		t.Errorf("Step after Close: %v", err)
	}
	if _, err := ctx.GetMIC([]byte("m")); !errors.Is(err, errState) {
		t.Errorf("GetMIC after Close: %v", err)
	}
}

// The mapping of statuses the real peers above do not produce: MIT's
// library reports an expired context, or a duplicate MIC, only in
// circumstances SSH does not create.
func TestGSSClassify(t *testing.T) {
	const failure = 13 << 16 // GSS_S_FAILURE
	minor := func(code int32) uint32 { return uint32(code) }
	for _, tc := range []struct {
		st   status
		ph   phase
		want error
	}{
		{status{statusNoCred, 0}, phaseFirst, gssapi.ErrNoCredentials},
		{status{failure, minor(krb5FCCNoFile)}, phaseFirst, gssapi.ErrNoCredentials},
		{status{statusCredExpired, 0}, phaseFirst, gssapi.ErrExpired},
		{status{statusContextExpired, 0}, phaseOther, gssapi.ErrExpired},
		{status{failure, minor(krb5APErrTktExpired)}, phaseReply, gssapi.ErrExpired},
		{status{failure, minor(krb5KDCErrSPrincipalUnkwn)}, phaseFirst, gssapi.ErrUnknownServer},
		{status{statusBadSig, 0}, phaseReply, gssapi.ErrMutualFailed},
		{status{statusBadSig, 0}, phaseVerify, gssapi.ErrBadMIC},
		{status{statusDuplicate, 0}, phaseVerify, gssapi.ErrBadMIC},
		{status{statusGap, 0}, phaseVerify, gssapi.ErrBadMIC},
		{status{statusDefectiveToken, 0}, phaseFirst, nil},
		{status{failure, 0}, phaseReply, nil},
	} {
		if got := classify(tc.st, tc.ph); got != tc.want {
			t.Errorf("classify(%#x/%d, phase %d) = %v, want %v", tc.st.major, int32(tc.st.minor), tc.ph, got, tc.want)
		}
	}
	err := statusError("gss_init_sec_context", status{statusNoCred, minor(krb5FCCNoFile)}, phaseFirst)
	if se := statusOf(t, err); !strings.Contains(se.Error(), "No credentials were supplied") || !errors.Is(err, gssapi.ErrNoCredentials) {
		t.Errorf("statusError: %v", err)
	}
}

// A KDC that takes the request for the service ticket and never answers
// holds the first Step only as long as InitSecContext's context: the
// library's call is left to finish on its own (here when the listener
// closes at the test's end) and the context fails at once.
func TestGSSUnansweredKDCEndsWithTheContext(t *testing.T) {
	k := realm(t, true)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	asked := make(chan struct{}, 1)
	var held []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			select {
			case asked <- struct{}{}:
			default:
			}
		}
	}()
	conf, err := os.ReadFile(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	silent := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(silent, []byte(strings.ReplaceAll(string(conf), k.Addr, l.Addr().String())), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", silent)

	ctx, cancel := context.WithCancel(t.Context())
	sec, err := newMech(t).InitSecContext(ctx, "host@localhost", gssapi.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	go func() {
		<-asked
		cancel()
	}()
	errc := make(chan error, 1)
	go func() {
		_, _, err := sec.Step(nil)
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Step: %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("Step still waiting for the KDC after its context was cancelled")
	}
	if _, _, err := sec.Step(nil); !errors.Is(err, errState) {
		t.Errorf("Step after the cancelled one: %v", err)
	}
}
