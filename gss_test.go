package amiko

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/gsstest"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// xsshWithGSSAPI starts an x/crypto/ssh server that accepts
// gssapi-with-mic from the test mechanism: x/crypto's own server code
// checks the message flow and what the MIC covers.
func xsshWithGSSAPI(t *testing.T) *sshtest.Server {
	return sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(cfg *ssh.ServerConfig) {
		cfg.GSSAPIWithMICConfig = &ssh.GSSAPIWithMICConfig{
			AllowLogin: func(conn ssh.ConnMetadata, srcName string) (*ssh.Permissions, error) {
				if srcName != "alice@AMIKO.TEST" {
					return nil, errors.New("unknown principal")
				}
				return nil, nil
			},
			Server: &gsstest.Acceptor{Name: "alice@AMIKO.TEST"},
		}
	}})
}

// TestGSSAPIWithMICAgainstXSSH: gss_auth is tried first and logs in; the
// target is host@ the host name, canonicalized by DNS unless told not
// to, or gss_host; delegation follows gss_deleg_creds.
func TestGSSAPIWithMICAgainstXSSH(t *testing.T) {
	isolate(t)
	s := xsshWithGSSAPI(t)
	checkNoLeak(t)
	for _, tc := range []struct {
		name, host string
		opts       ConnectOptions
		target     string
		delegate   bool
	}{
		{"default", "localhost", ConnectOptions{}, "host@localhost", true},
		{"no delegation", "localhost", ConnectOptions{DisableGSSDelegation: true}, "host@localhost", false},
		{"gss_host", "127.0.0.1", ConnectOptions{GSSHost: "sshd.amiko.test"}, "host@sshd.amiko.test", true},
		{"no DNS", "127.0.0.1", ConnectOptions{DisableGSSTrustDNS: true}, "host@127.0.0.1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mech := &gsstest.Mechanism{}
			o := tc.opts
			o.Port, o.Username = port(t, s.Addr), s.User
			o.GSSAuth, o.GSSMechanism = true, mech
			o.DisableAgent, o.DisableKeyDiscovery = true, true
			c := NewClient()
			c.SetMissingHostKeyPolicy(trustServer(s))
			if err := c.Connect(t.Context(), tc.host, &o); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			info, _ := c.ConnInfo()
			if info.AuthMethod != "gssapi-with-mic ("+tc.target+")" || mech.Target != tc.target || mech.Delegate != tc.delegate {
				t.Fatalf("method %q, target %q, delegate %v", info.AuthMethod, mech.Target, mech.Delegate)
			}
		})
	}
}

// TestGSSAPITrickleDown: a mechanism without credentials is noted, and
// the cascade goes on to the key.
func TestGSSAPITrickleDown(t *testing.T) {
	isolate(t)
	s := xsshWithGSSAPI(t)
	mech := &gsstest.Mechanism{InitErr: gssapi.ErrNoCredentials}
	c := connectTo(t, s, &ConnectOptions{GSSAuth: true, GSSMechanism: mech})
	if info, _ := c.ConnInfo(); info.AuthMethod != "publickey (pkey)" {
		t.Fatalf("method %q", info.AuthMethod)
	}
	// Without the key, the attempt is in the error.
	c2 := NewClient()
	c2.SetMissingHostKeyPolicy(trustServer(s))
	err := c2.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User,
		GSSAuth: true, GSSMechanism: mech, DisableAgent: true, DisableKeyDiscovery: true})
	var ae *AuthenticationError
	if !errors.As(err, &ae) || len(ae.Attempts) == 0 || ae.Attempts[0].Method != "gssapi-with-mic" ||
		!errors.Is(ae.Attempts[0].Err, gssapi.ErrNoCredentials) {
		t.Fatalf("got %v", err)
	}
}

// TestGSSAPIUnansweredKDC: a mechanism still waiting for its KDC when
// the auth timeout is up fails gssapi-with-mic, as a missing ticket does:
// the attempt notes the deadline and the cascade goes on (here to
// nothing else), rather than waiting on the KDC (gsstest's Unanswered
// mechanism waits until its context ends, so without the context this
// test hangs). The auth timeout also bounds the round trip before the
// mechanism is asked, so it is not short: a loaded machine may take a
// while for that.
func TestGSSAPIUnansweredKDC(t *testing.T) {
	isolate(t)
	s := xsshWithGSSAPI(t)
	checkNoLeak(t)
	mech := &gsstest.Mechanism{Unanswered: true}
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	errc := make(chan error, 1)
	go func() {
		errc <- c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User,
			GSSAuth: true, GSSMechanism: mech, DisableAgent: true, DisableKeyDiscovery: true,
			AuthTimeout: 2 * time.Second})
	}()
	select {
	case err := <-errc:
		select {
		case <-mech.Asked():
		default:
			t.Fatalf("Connect: %v, before the mechanism was asked", err)
		}
		var ae *AuthenticationError
		if !errors.As(err, &ae) || len(ae.Attempts) == 0 || ae.Attempts[0].Method != "gssapi-with-mic" ||
			!errors.Is(ae.Attempts[0].Err, context.DeadlineExceeded) || mech.Target == "" {
			t.Fatalf("Connect: %v (the mechanism was asked for %q), want gssapi-with-mic's attempt ended by the auth timeout", err, mech.Target)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("Connect still waiting on the mechanism after the auth timeout")
	}
}
