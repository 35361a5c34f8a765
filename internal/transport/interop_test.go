package transport

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// allOurs lists every algorithm amiko implements in a category, legacy
// ones included.
func allOurs(cat Category) []string {
	switch cat {
	case CategoryKex:
		return slices.Concat(DefaultKexAlgorithms, LegacyKexAlgorithms)
	case CategoryHostKey:
		return slices.Concat(DefaultHostKeyAlgorithms, LegacyHostKeyAlgorithms)
	case CategoryCipher:
		return slices.Concat(DefaultCiphers, LegacyCiphers)
	case CategoryMAC:
		return slices.Concat(DefaultMACs, LegacyMACs)
	}
	return []string{compressionDelayed, compressionZlib, compressionNone}
}

func shared(cat Category, theirs []string) []string {
	return slices.DeleteFunc(allOurs(cat), func(n string) bool { return !slices.Contains(theirs, n) })
}

type interopPeer struct {
	name  string
	start func(t *testing.T) *sshtest.Server
	// instances is how many servers to start and share the cases among:
	// the Python servers compute big Diffie-Hellman groups on one thread.
	instances int
	// oneRSACaseAtATime works around asyncssh 2.10's server, which sets
	// the RSA signature algorithm on the host key object that all its
	// connections share (_choose_server_host_key calls set_sig_algorithm):
	// two connections asking for different RSA algorithms at once can get
	// a signature of the other's algorithm, which amiko rightly rejects
	// as a downgrade.
	oneRSACaseAtATime bool
}

var allHostKeyTypes = []string{"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa", "dsa"}

func interopPeers() []interopPeer {
	return []interopPeer{
		{"openssh", func(t *testing.T) *sshtest.Server {
			return sshtest.StartOpenSSH(t, sshtest.Options{AllAlgorithms: true, HostKeyTypes: allHostKeyTypes,
				HostCertificates: true, Config: []string{"Compression yes"}})
		}, 1, false},
		{"dropbear", func(t *testing.T) *sshtest.Server {
			// dropbear loads at most four host keys.
			return sshtest.StartDropbear(t, sshtest.Options{HostKeyTypes: []string{"ed25519", "ecdsa256", "ecdsa521", "rsa"}})
		}, 1, false},
		{"paramiko", func(t *testing.T) *sshtest.Server {
			return sshtest.StartParamiko(t, sshtest.Options{AllAlgorithms: true, HostKeyTypes: allHostKeyTypes})
		}, 2, false},
		{"asyncssh", func(t *testing.T) *sshtest.Server {
			return sshtest.StartAsyncSSH(t, sshtest.Options{AllAlgorithms: true, HostKeyTypes: allHostKeyTypes})
		}, 2, true},
		{"xssh", func(t *testing.T) *sshtest.Server {
			return sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: allHostKeyTypes, Config: func(c *ssh.ServerConfig) {
				sup, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
				c.KeyExchanges = slices.Concat(sup.KeyExchanges, insecure.KeyExchanges)
				c.Ciphers = slices.Concat(sup.Ciphers, insecure.Ciphers)
				c.MACs = slices.Concat(sup.MACs, insecure.MACs)
			}})
		}, 1, false},
	}
}

// TestInteropMatrix connects to every real peer with every algorithm the
// peer supports, and every pair of algorithms across categories at least
// once (a pairwise covering set). Each case does the handshake, publickey
// authentication, a global request answered after authentication (so
// that delayed compression carries traffic both ways), and a clean
// disconnect.
func TestInteropMatrix(t *testing.T) {
	for _, p := range interopPeers() {
		t.Run(p.name, func(t *testing.T) {
			servers := []*sshtest.Server{p.start(t)}
			for len(servers) < p.instances {
				servers = append(servers, p.start(t))
			}
			// What the peer supports, read from its own KEXINIT.
			theirs, err := servers[0].Offered()
			if err != nil {
				t.Fatal(err)
			}
			dims := [][]string{
				shared(CategoryKex, theirs.KeyExchanges),
				shared(CategoryHostKey, theirs.HostKeys),
				shared(CategoryCipher, theirs.CiphersServerClient),
				shared(CategoryMAC, theirs.MACsServerClient),
				shared(CategoryCompression, theirs.CompressionServerClient),
			}
			// "" stands for the MAC that an AEAD cipher does without.
			if slices.ContainsFunc(dims[2], func(c string) bool { return cipherModes[c].aead }) {
				dims[3] = append(dims[3], "")
			}
			for i, d := range dims {
				if len(d) == 0 {
					t.Fatalf("no shared algorithms in dimension %d; server offers %+v", i, theirs)
				}
			}
			cases := pairwiseCases(dims, func(i int, a string, j int, b string) bool {
				if i == 2 && j == 3 {
					return cipherModes[a].aead == (b == "")
				}
				return true
			})
			t.Logf("%s offers %d kex, %d host key, %d cipher, %d MAC, %d compression algorithms that amiko has: %d pairwise cases",
				p.name, len(dims[0]), len(dims[1]), len(dims[2]), len(slices.DeleteFunc(slices.Clone(dims[3]), func(s string) bool { return s == "" })), len(dims[4]), len(cases))
			var passed atomic.Int32
			t.Run("cases", func(t *testing.T) {
				rsaLocks := make([]sync.Mutex, len(servers))
				for i, c := range cases {
					s := servers[i%len(servers)]
					rsaLock := &rsaLocks[i%len(servers)]
					t.Run(strings.Join(slices.DeleteFunc(slices.Clone(c), func(s string) bool { return s == "" }), "/"), func(t *testing.T) {
						t.Parallel()
						if p.oneRSACaseAtATime && strings.Contains(c[1], "rsa") {
							rsaLock.Lock()
							defer rsaLock.Unlock()
						}
						if err := interopCase(s, c); err != nil {
							t.Fatal(err)
						}
						passed.Add(1)
					})
				}
			})
			t.Logf("%s: %d of %d cases passed", p.name, passed.Load(), len(cases))
		})
	}
}

func interopCase(s *sshtest.Server, c []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := &Config{
		// The Python servers take seconds for 8192-bit groups, and more
		// when cases queue up: this test is about correctness, not time.
		BannerTimeout:     2 * time.Minute,
		HandshakeTimeout:  2 * time.Minute,
		KexAlgorithms:     []string{c[0]},
		HostKeyAlgorithms: []string{c[1]},
		Ciphers:           []string{c[2]},
		MACs:              []string{c[3]},
		Compressions:      []string{c[4]},
		HostKeyCallback:   func(k ssh.PublicKey) error { return checkServerKey(s, k) },
	}
	if c[3] == "" {
		cfg.MACs = DefaultMACs
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	conn, err := Client(ctx, nc, cfg)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	defer conn.Close()
	nc.SetDeadline(time.Now().Add(time.Minute))
	want := Algorithms{Kex: c[0], HostKey: c[1], CipherOut: c[2], CipherIn: c[2], MACOut: c[3], MACIn: c[3], CompressionOut: c[4], CompressionIn: c[4]}
	if got := conn.Algorithms(); got != want {
		return fmt.Errorf("negotiated %+v, want %+v", got, want)
	}
	if err := auth.RequestService(conn); err != nil {
		return fmt.Errorf("service request: %w", err)
	}
	if err := auth.PublicKey(conn, s.User, s.UserKey); err != nil {
		return fmt.Errorf("auth: %w\nserver log:\n%s", err, tail(s.Log(), 20))
	}
	return pingAfterAuth(conn)
}

// checkServerKey accepts one of s's host keys, or a host certificate for
// one of them signed by s's host CA for 127.0.0.1.
func checkServerKey(s *sshtest.Server, k ssh.PublicKey) error {
	if cert, ok := k.(*ssh.Certificate); ok {
		if s.HostCA == nil {
			return fmt.Errorf("a certificate from a server without a CA")
		}
		checker := &ssh.CertChecker{IsHostAuthority: func(auth ssh.PublicKey, _ string) bool {
			return bytes.Equal(auth.Marshal(), s.HostCA.Marshal())
		}}
		if err := checker.CheckCert("127.0.0.1", cert); err != nil {
			return err
		}
		if cert.CertType != ssh.HostCert {
			return fmt.Errorf("not a host certificate")
		}
		k = cert.Key
	}
	if !slices.ContainsFunc(s.HostKeys, func(h ssh.PublicKey) bool { return bytes.Equal(h.Marshal(), k.Marshal()) }) {
		return fmt.Errorf("unknown host key %s", ssh.FingerprintSHA256(k))
	}
	return nil
}

// pingAfterAuth sends a global request that wants a reply and waits for
// the reply, answering the server's own requests on the way (OpenSSH
// sends hostkeys-00@openssh.com after authentication).
func pingAfterAuth(conn *Conn) error {
	if err := conn.WritePacket(wire.AppendGlobalRequest(nil, "keepalive@openssh.com", true, nil)); err != nil {
		return err
	}
	for {
		p, err := conn.ReadPacket()
		if err != nil {
			return fmt.Errorf("waiting for the reply to a global request: %w", err)
		}
		switch p[0] {
		case wire.MsgRequestSuccess, wire.MsgRequestFailure:
			return nil
		case wire.MsgGlobalRequest:
			if r, err := wire.ParseGlobalRequest(p); err == nil && r.WantReply {
				if err := conn.WritePacket([]byte{wire.MsgRequestFailure}); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected message %d after authentication", p[0])
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
