package auth

import (
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/transport"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// serverCase is one real server of the matrix.
type serverCase struct {
	name  string
	start func(t *testing.T, extraKeys []ssh.PublicKey) *sshtest.Server
	// kbdInteractive: the server asks for the password with
	// keyboard-interactive.
	kbdInteractive bool
	// hostbound: the server offers publickey-hostbound@openssh.com.
	hostbound bool
}

func optionsStart(start func(testing.TB, sshtest.Options) *sshtest.Server, config ...string) func(*testing.T, []ssh.PublicKey) *sshtest.Server {
	return func(t *testing.T, keys []ssh.PublicKey) *sshtest.Server {
		return start(t, sshtest.Options{AuthorizedKeys: keys, Config: config})
	}
}

var serverCases = []serverCase{
	{name: "openssh", start: optionsStart(sshtest.StartOpenSSH), hostbound: true},
	// With PAM, sshd has a keyboard-interactive device: PAM's password
	// question, then a round without prompts.
	{name: "openssh-pam", start: optionsStart(sshtest.StartOpenSSH, "UsePAM yes"), kbdInteractive: true, hostbound: true},
	{name: "dropbear", start: optionsStart(sshtest.StartDropbear)},
	{name: "paramiko", start: optionsStart(sshtest.StartParamiko), kbdInteractive: true},
	{name: "asyncssh", start: optionsStart(sshtest.StartAsyncSSH), kbdInteractive: true},
	{name: "xssh", start: func(t *testing.T, keys []ssh.PublicKey) *sshtest.Server {
		return sshtest.StartXSSH(t, sshtest.XSSHOptions{AuthorizedKeys: keys})
	}, kbdInteractive: true},
}

// TestServers runs every method against every server, each on a
// connection of its own, and a cascade of methods on one connection.
func TestServers(t *testing.T) {
	for _, sc := range serverCases {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			s := sc.start(t, []ssh.PublicKey{rsaSigner().PublicKey(), ecdsaSigner().PublicKey()})
			stranger := newEd25519(t)
			conn := func(t *testing.T) *transport.Conn { return connect(t, s, nil) }

			t.Run("none", func(t *testing.T) {
				t.Parallel()
				fe := asFailure(t, None(conn(t), s.User))
				t.Logf("%v", fe)
				if fe.PartialSuccess || fe.Method != "none" || !fe.Allows("publickey") || !fe.Allows("password") {
					t.Fatalf("none: %+v", fe)
				}
				if sc.kbdInteractive && !fe.Allows("keyboard-interactive") {
					t.Fatalf("none: %+v does not list keyboard-interactive", fe)
				}
			})
			for _, k := range []struct {
				name   string
				signer ssh.Signer
			}{{"ed25519", s.UserKey}, {"ecdsa", ecdsaSigner()}, {"rsa", rsaSigner()}} {
				t.Run("publickey/"+k.name, func(t *testing.T) {
					t.Parallel()
					c := conn(t)
					if Hostbound(c) != sc.hostbound {
						t.Errorf("Hostbound is %v, want %v", Hostbound(c), sc.hostbound)
					}
					if err := PublicKey(c, s.User, k.signer); err != nil {
						t.Fatalf("%v\n%s", err, tail(s.Log(), 30))
					}
					loggedIn(t, c)
				})
				t.Run("query/"+k.name, func(t *testing.T) {
					t.Parallel()
					c := conn(t)
					ok, err := PublicKeyQuery(c, s.User, k.signer.PublicKey(), "")
					if !ok || err != nil {
						t.Fatalf("query: %v, %v\n%s", ok, err, tail(s.Log(), 30))
					}
					// The key found acceptable is then used, as OpenSSH does.
					if err := PublicKey(c, s.User, k.signer); err != nil {
						t.Fatalf("%v\n%s", err, tail(s.Log(), 30))
					}
					loggedIn(t, c)
				})
			}
			t.Run("publickey/unauthorized", func(t *testing.T) {
				t.Parallel()
				fe := asFailure(t, PublicKey(conn(t), s.User, stranger))
				if fe.PartialSuccess || fe.Method != "publickey" || !fe.Allows("publickey") {
					t.Fatalf("%+v", fe)
				}
			})
			t.Run("query/unauthorized", func(t *testing.T) {
				t.Parallel()
				ok, err := PublicKeyQuery(conn(t), s.User, stranger.PublicKey(), "")
				if fe := asFailure(t, err); ok || fe.PartialSuccess || !fe.Allows("publickey") {
					t.Fatalf("%v, %+v", ok, fe)
				}
			})
			t.Run("password", func(t *testing.T) {
				t.Parallel()
				c := conn(t)
				if err := Password(c, s.User, s.Password, nil); err != nil {
					t.Fatalf("%v\n%s", err, tail(s.Log(), 30))
				}
				loggedIn(t, c)
			})
			t.Run("password/wrong", func(t *testing.T) {
				t.Parallel()
				fe := asFailure(t, Password(conn(t), s.User, "not the password", nil))
				if fe.PartialSuccess || fe.Method != "password" || !fe.Allows("password") {
					t.Fatalf("%+v", fe)
				}
			})
			t.Run("keyboard-interactive", func(t *testing.T) {
				t.Parallel()
				c := conn(t)
				var rounds []int
				err := KeyboardInteractive(c, s.User, func(name, instruction string, prompts []Prompt) ([]string, error) {
					rounds = append(rounds, len(prompts))
					t.Logf("round: name %q instruction %q prompts %+v", name, instruction, prompts)
					return PasswordAnswerer(s.Password)(name, instruction, prompts)
				})
				if !sc.kbdInteractive {
					if fe := asFailure(t, err); len(rounds) > 0 || fe.PartialSuccess {
						t.Fatalf("%s asked %v prompts, then %+v", s.Name, rounds, fe)
					}
					return
				}
				if err != nil {
					t.Fatalf("%v\n%s", err, tail(s.Log(), 30))
				}
				t.Logf("rounds with %v prompts", rounds)
				loggedIn(t, c)
			})
			t.Run("keyboard-interactive/wrong", func(t *testing.T) {
				if !sc.kbdInteractive {
					t.Skipf("%s has no keyboard-interactive", s.Name)
				}
				t.Parallel()
				fe := asFailure(t, KeyboardInteractive(conn(t), s.User, PasswordAnswerer("not the password")))
				if fe.PartialSuccess || fe.Method != "keyboard-interactive" {
					t.Fatalf("%+v", fe)
				}
			})
			// What a client's cascade does: learn the methods, try a key
			// the server refuses, a wrong password, then what works.
			t.Run("cascade", func(t *testing.T) {
				t.Parallel()
				c := conn(t)
				a := &Authenticator{Transport: c, User: s.User}
				asFailure(t, a.None())
				asFailure(t, a.PublicKey(stranger))
				if ok, err := a.PublicKeyQuery(stranger.PublicKey(), ""); ok || err == nil {
					t.Fatalf("query: %v, %v", ok, err)
				}
				asFailure(t, a.Password("not the password", nil))
				if sc.kbdInteractive {
					asFailure(t, a.KeyboardInteractive(PasswordAnswerer("not the password")))
				}
				if err := a.PublicKey(s.UserKey); err != nil {
					t.Fatalf("%v\n%s", err, tail(s.Log(), 30))
				}
				loggedIn(t, c)
			})
		})
	}
}

// loggedIn checks that the server lets c open a session channel, which
// it does only for an authenticated user.
func loggedIn(t *testing.T, c *transport.Conn) {
	t.Helper()
	open := []byte{wire.MsgChannelOpen}
	open = wire.AppendText(open, "session")
	open = wire.AppendUint32(open, 0)
	open = wire.AppendUint32(open, 1<<20)
	open = wire.AppendUint32(open, 32<<10)
	if err := c.WritePacket(open); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatalf("waiting for the channel: %v", err)
		}
		switch p[0] {
		case wire.MsgChannelOpenConfirm:
			return
		case wire.MsgGlobalRequest, wire.MsgChannelWindowAdjust:
			continue // hostkeys-00@openssh.com and the like
		}
		t.Fatalf("channel open answered with message %d", p[0])
	}
}
