package krb5

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/connection"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/transport"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// OpenSSH's sshd, accepting with MIT's library and the realm's keytab,
// logs the user in by gssapi-with-mic (amiko's internal/auth with this
// mechanism): the AP-REQ, the AP-REP and the initiator's MIC over the
// session id all pass sshd. With delegation, a command in the session
// finds the forwarded TGT in the cache sshd stored; without, none.
func TestOpenSSHGSSAPIWithMIC(t *testing.T) {
	k := sshtest.StartKDC(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Kerberos: k})
	mech := newKDCMechanism(t, k, "", k.Kinit(t, true))
	for _, delegate := range []bool{false, true} {
		name := map[bool]string{false: "no delegation", true: "delegation"}[delegate]
		t.Run(name, func(t *testing.T) {
			c := dialSSHD(t, s)
			if err := auth.RequestService(c); err != nil {
				t.Fatal(err)
			}
			if err := auth.GSSAPIWithMIC(t.Context(), c, s.User, mech, "host@localhost", delegate); err != nil {
				t.Fatalf("gssapi-with-mic: %v\n%s", err, tailLines(s.Log(), 30))
			}
			out := runCommand(t, c, "klist -f; echo KRB5CCNAME=$KRB5CCNAME")
			// sshd logged the method before it ran the session; its log
			// reaches us through a pipe, so give it a moment.
			for i := 0; !strings.Contains(s.Log(), "Accepted gssapi-with-mic for "+s.User); i++ {
				if i == 100 {
					t.Fatalf("sshd did not log the method:\n%s", tailLines(s.Log(), 30))
				}
				time.Sleep(50 * time.Millisecond)
			}
			// sshd stores delegated credentials in a cache of its own and
			// points KRB5CCNAME at it; klist -f shows the TGT forwarded (f).
			has := strings.Contains(out, "krbtgt/"+k.Realm+"@"+k.Realm) &&
				strings.Contains(out, "KRB5CCNAME=FILE:") && strings.Contains(out, "Flags: Ff")
			if has != delegate || (!delegate && !strings.Contains(out, "KRB5CCNAME=\n")) {
				t.Fatalf("delegation %v, but the session's klist says:\n%s", delegate, out)
			}
		})
	}
}

func dialSSHD(t *testing.T, s *sshtest.Server) *transport.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.Addr, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	check := s.HostKeyCallback()
	cfg := &transport.Config{HostKeyCallback: func(k ssh.PublicKey) error { return check(s.Addr, nc.RemoteAddr(), k) }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := transport.Client(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(2 * time.Minute)) // a hang guard
	t.Cleanup(func() { c.Close() })
	return c
}

// runCommand runs cmd in a session and returns its output.
func runCommand(t *testing.T, tr *transport.Conn, cmd string) string {
	t.Helper()
	c := connection.New(tr)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, err := c.OpenChannel(ctx, "session", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := ch.SendRequestContext(ctx, "exec", true, wire.AppendText(nil, cmd)); !ok || err != nil {
		t.Fatalf("exec refused: %v", err)
	}
	ch.CloseWrite()
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		io.Copy(&out, ch.Stderr())
		close(done)
	}()
	var stdout strings.Builder
	io.Copy(&stdout, ch)
	<-done
	<-ch.Done()
	return stdout.String() + out.String()
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
