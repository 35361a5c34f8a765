package transport

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// writeCountingConn counts the writes made through it: the client
// writes once per flight, so a key exchange that saves a round trip saves
// a write.
type writeCountingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *writeCountingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// guessOutcome is what one connection with a KexGuesses did.
type guessOutcome struct {
	sent, right bool
	writes      int // during the handshake: version+KEXINIT, [kex init,] NEWKEYS
	algs        Algorithms
}

// connectGuessing connects to s with cfg (its KexGuesses and ServerName
// set by the caller), authenticates and pings, and reports whether a
// guess was sent and taken.
func connectGuessing(t *testing.T, s *sshtest.Server, cfg Config) guessOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg.HostKeyCallback = func(k ssh.PublicKey) error { return checkServerKey(s, k) }
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cc := &writeCountingConn{Conn: nc}
	conn, err := Client(ctx, cc, &cfg)
	if err != nil {
		t.Fatalf("handshake: %v\nserver log:\n%s", err, tail(s.Log(), 20))
	}
	defer conn.Close()
	out := guessOutcome{sent: conn.guessSent, right: conn.guessedRight, writes: int(cc.writes.Load()), algs: conn.Algorithms()}
	if err := auth.RequestService(conn); err != nil {
		t.Fatalf("service request: %v", err)
	}
	if err := auth.PublicKey(conn, s.User, s.UserKey); err != nil {
		t.Fatalf("auth: %v\nserver log:\n%s", err, tail(s.Log(), 20))
	}
	if err := pingAfterAuth(conn); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKexGuessAgainstRealServers connects to servers that follow RFC 4253
// on guesses: the first connection learns the server's preferences, the
// second sends its kex message with KEXINIT and saves a write (a round
// trip), and guesses the server must ignore — the kex or only the host
// key algorithm not its first — still connect.
func TestKexGuessAgainstRealServers(t *testing.T) {
	servers := []struct {
		name  string
		start func(t *testing.T) *sshtest.Server
	}{
		{"openssh", func(t *testing.T) *sshtest.Server {
			// OpenSSH 9.2 puts sntrup761x25519 first, which amiko lacks.
			return sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{
				"KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256"}})
		}},
		{"dropbear", func(t *testing.T) *sshtest.Server { return sshtest.StartDropbear(t, sshtest.Options{}) }},
		{"xssh", func(t *testing.T) *sshtest.Server { return sshtest.StartXSSH(t, sshtest.XSSHOptions{}) }},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			s := srv.start(t)
			offer, err := s.Offered()
			if err != nil {
				t.Fatal(err)
			}
			kex, hostKey := offer.KeyExchanges[0], offer.HostKeys[0]
			if _, ok := kexMethods[kex].(kexStarter); !ok {
				t.Fatalf("%s's first kex method %s cannot be guessed", srv.name, kex)
			}
			otherKex := shared(CategoryKex, offer.KeyExchanges)
			otherKex = slices.DeleteFunc(otherKex, func(k string) bool {
				_, ok := kexMethods[k].(kexStarter)
				return k == kex || !ok
			})
			otherHostKey := slices.DeleteFunc(shared(CategoryHostKey, offer.HostKeys), func(h string) bool {
				return h == hostKey || hostKeyFormatsType(h) == hostKeyFormatsType(hostKey)
			})
			if len(otherKex) == 0 || len(otherHostKey) == 0 {
				t.Fatalf("%s offers no second kex or host key algorithm to guess wrong with: %v, %v", srv.name, offer.KeyExchanges, offer.HostKeys)
			}
			ours := Config{
				KexAlgorithms:     []string{kex, otherKex[0]},
				HostKeyAlgorithms: []string{hostKey, otherHostKey[0]},
				KexGuesses:        NewKexGuesses(),
				ServerName:        s.Addr,
			}

			first := connectGuessing(t, s, ours)
			if first.sent || first.writes != 3 {
				t.Errorf("first connection: guess sent %v, %d writes; want no guess, 3 writes", first.sent, first.writes)
			}
			second := connectGuessing(t, s, ours)
			if !second.sent || !second.right || second.writes != 2 || second.algs.Kex != kex {
				t.Errorf("second connection: guess sent %v, taken %v, %d writes, kex %s; want a guess taken, 2 writes, %s",
					second.sent, second.right, second.writes, second.algs.Kex, kex)
			}

			// The memory says the server agrees with our firsts, but it
			// does not put them first: the server ignores the guess and
			// the method starts over.
			for _, wrong := range []struct {
				name          string
				kex, hostKeys []string
			}{
				{"kex", []string{otherKex[0], kex}, ours.HostKeyAlgorithms},
				{"host key", ours.KexAlgorithms, []string{otherHostKey[0], hostKey}},
			} {
				cfg := ours
				cfg.KexAlgorithms, cfg.HostKeyAlgorithms = wrong.kex, wrong.hostKeys
				cfg.KexGuesses.servers[s.Addr] = serverFirsts{kex: wrong.kex[0], hostKey: wrong.hostKeys[0]}
				got := connectGuessing(t, s, cfg)
				if !got.sent || got.right || got.writes != 3 || got.algs.Kex != wrong.kex[0] || got.algs.HostKey != wrong.hostKeys[0] {
					t.Errorf("wrong %s guess: sent %v, taken %v, %d writes, negotiated %s/%s; want sent, not taken, 3 writes, %s/%s",
						wrong.name, got.sent, got.right, got.writes, got.algs.Kex, got.algs.HostKey, wrong.kex[0], wrong.hostKeys[0])
				}
				// The memory now holds the server's real firsts again.
				if f := cfg.KexGuesses.servers[s.Addr]; f != (serverFirsts{kex, hostKey}) {
					t.Errorf("after the wrong %s guess the memory holds %+v, want %s/%s", wrong.name, f, kex, hostKey)
				}
			}
		})
	}
}

// hostKeyFormatsType is the key type a host key algorithm names.
func hostKeyFormatsType(alg string) string {
	keyType, _ := hostKeyFormats(alg)
	return keyType
}

// TestKexGuessNotForServersThatMishandleIt: paramiko and asyncssh do not
// ignore a wrong guess the way RFC 4253 says, so they are never
// remembered and never sent a guess.
func TestKexGuessNotForServersThatMishandleIt(t *testing.T) {
	for _, srv := range []struct {
		name  string
		start func(testing.TB, sshtest.Options) *sshtest.Server
	}{{"paramiko", sshtest.StartParamiko}, {"asyncssh", sshtest.StartAsyncSSH}} {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			s := srv.start(t, sshtest.Options{})
			offer, err := s.Offered()
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{
				KexAlgorithms:     []string{offer.KeyExchanges[0]},
				HostKeyAlgorithms: []string{offer.HostKeys[0]},
				KexGuesses:        NewKexGuesses(),
				ServerName:        s.Addr,
			}
			for i := range 2 {
				if got := connectGuessing(t, s, cfg); got.sent || got.writes != 3 {
					t.Errorf("connection %d: guess sent %v, %d writes; want no guess, 3 writes", i+1, got.sent, got.writes)
				}
			}
			if n := len(cfg.KexGuesses.servers); n != 0 {
				t.Errorf("%s remembered: %+v", srv.name, cfg.KexGuesses.servers)
			}
		})
	}
}

func TestJudgesGuessesByRFC(t *testing.T) {
	for v, want := range map[string]bool{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10": true,
		"SSH-2.0-OpenSSH_10.0":                    true,
		"SSH-2.0-dropbear_2022.83":                true,
		"SSH-2.0-Go":                              true,
		"SSH-2.0-Go_custom":                       false,
		"SSH-2.0-paramiko_2.12.0":                 false,
		"SSH-2.0-AsyncSSH_2.10.1":                 false,
		"SSH-2.0-libssh_0.10.4":                   false,
		"SSH-1.99-OpenSSH_3.9":                    false,
		"":                                        false,
	} {
		if got := judgesGuessesByRFC([]byte(v)); got != want {
			t.Errorf("judgesGuessesByRFC(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestKexGuessesStayBounded: the memory forgets a server for each new
// one past its bound, and a server that stops judging by the RFC is
// forgotten.
func TestKexGuessesStayBounded(t *testing.T) {
	g := NewKexGuesses()
	theirs := &wire.KexInit{KexAlgos: []string{"curve25519-sha256"}, HostKeyAlgos: []string{"ssh-ed25519"}}
	for i := range maxKexGuesses + 10 {
		g.remember(fmt.Sprint("host", i), []byte("SSH-2.0-Go"), theirs)
	}
	if len(g.servers) != maxKexGuesses {
		t.Fatalf("%d servers remembered, want %d", len(g.servers), maxKexGuesses)
	}
	if !g.shouldGuess(fmt.Sprint("host", maxKexGuesses+9), theirs) {
		t.Error("the last server is not remembered")
	}
	g.remember("host5000", []byte("SSH-2.0-Go"), theirs)
	g.remember("host5000", []byte("SSH-2.0-paramiko_3.4"), theirs)
	if g.shouldGuess("host5000", theirs) {
		t.Error("a server that became paramiko is still guessed for")
	}
	var nilGuesses *KexGuesses
	if nilGuesses.shouldGuess("x", theirs) {
		t.Error("a nil memory guesses")
	}
}
