package amiko

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/krb5"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestKerberosExpiredTicketAtRekey: after a GSS-API key exchange every
// rekey is one too; once the ticket has expired, the rekey ends the
// connection with an error that says so, and blocked calls return. The
// ticket lives long enough for Connect on a loaded machine (its end is
// in whole seconds, so a life of 3 s could leave 2), and the test waits
// for its end as the credential cache gives it.
func TestKerberosExpiredTicketAtRekey(t *testing.T) {
	isolate(t)
	kdc := sshtest.StartKDC(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Kerberos: kdc})
	checkNoLeak(t)
	ccache := kdc.KinitArgs(t, "-f", "-l", "10s")
	end := tgtEnd(t, ccache)
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
	if !time.Now().Before(end) {
		t.Fatalf("the ticket expired (%v) before the session started", end)
	}
	time.Sleep(time.Until(end) + time.Second)
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

// tgtEnd returns the end time of the ticket-granting ticket in the FILE
// credential cache at path, of version 4 as kinit writes it.
func tgtEnd(t *testing.T, path string) time.Time {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := cryptobyte.String(b)
	ok := true // false from the first field that does not read
	u8 := func() { var v uint8; ok = ok && s.ReadUint8(&v) }
	u16 := func() uint16 { var v uint16; ok = ok && s.ReadUint16(&v); return v }
	u32 := func() uint32 { var v uint32; ok = ok && s.ReadUint32(&v); return v }
	skip := func(n int) { ok = ok && s.Skip(n) }
	data := func() string {
		n := u32()
		var v []byte
		ok = ok && s.ReadBytes(&v, int(n))
		return string(v)
	}
	principal := func() string {
		u32() // name type
		n := u32()
		realm := data()
		var parts []string
		for i := uint32(0); ok && i < n; i++ {
			parts = append(parts, data())
		}
		return strings.Join(parts, "/") + "@" + realm
	}
	if u16() != 0x0504 || !ok {
		t.Fatalf("%s: not a version 4 credential cache", path)
	}
	skip(int(u16())) // header tags
	principal()      // the default principal
	for ok && !s.Empty() {
		principal() // the client
		server := principal()
		u16()                                          // the key's type
		data()                                         // the key
		times := [4]uint32{u32(), u32(), u32(), u32()} // auth, start, end, renew till
		u8()                                           // is_skey
		u32()                                          // ticket flags
		// Addresses, then authorization data.
		for range 2 {
			n := u32()
			for i := uint32(0); ok && i < n; i++ {
				u16()
				data()
			}
		}
		data() // the ticket
		data() // the second ticket
		if ok && strings.HasPrefix(server, "krbtgt/") {
			return time.Unix(int64(times[2]), 0)
		}
	}
	if !ok {
		t.Fatalf("%s: malformed credential cache", path)
	}
	t.Fatalf("%s: no ticket-granting ticket", path)
	return time.Time{}
}
