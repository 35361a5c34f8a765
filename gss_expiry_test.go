package amiko

import (
	"errors"
	"testing"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/krb5"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestKerberosExpiredTicketAtRekey: after a GSS-API key exchange every
// rekey is one too; once the ticket has expired, the rekey ends the
// connection with an error that says so, and blocked calls return.
func TestKerberosExpiredTicketAtRekey(t *testing.T) {
	isolate(t)
	kdc := sshtest.StartKDC(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Kerberos: kdc})
	checkNoLeak(t)
	ccache := kdc.KinitArgs(t, "-f", "-l", "3s")
	mech, err := krb5.New(krb5.WithConfigFile(kdc.Config), krb5.WithCCache(ccache))
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient()
	err = c.Connect(t.Context(), "localhost", &ConnectOptions{Port: port(t, s.Addr), Username: s.User,
		GSSKex: true, GSSMechanism: mech, DisableAgent: true, DisableKeyDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.ExecCommand(t.Context(), "sleep 60", nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // the ticket's life
	c.mu.Lock()
	tr := c.conn.t
	c.mu.Unlock()
	tr.Rekey()
	err = c.Wait()
	var ge *GSSKexError
	if !errors.As(err, &ge) || !errors.Is(err, gssapi.ErrExpired) || !errors.Is(err, ErrSSH) {
		t.Fatalf("rekey with an expired ticket: %v", err)
	}
	if _, err := sess.Stdout().Read(make([]byte, 1)); !errors.Is(err, gssapi.ErrExpired) {
		t.Fatalf("blocked read: %v", err)
	}
	c.Close()
}
