package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Server is a running SSH server for one test. It is stopped, with every
// process it started, by the test's Cleanup.
type Server struct {
	// Name says which implementation this is: "openssh", "dropbear",
	// "paramiko", "asyncssh" or "xssh".
	Name string
	// Addr is the address it listens on, "127.0.0.1:port".
	Addr string
	// HostKeys holds every host key the server serves.
	HostKeys []ssh.PublicKey
	// User is the account to log in as.
	User string
	// Password is User's password; every server here accepts it with
	// the password method. paramiko, asyncssh and xssh also accept it
	// with keyboard-interactive, asking one question; sshd does so only
	// when Options.Config has "UsePAM yes" (without PAM it has no
	// keyboard-interactive device), and dropbear not at all.
	Password string
	// UserKey is an ed25519 key authorized for User.
	UserKey ssh.Signer
	// HostCA signed the host certificates, when Options.HostCertificates
	// asked for them.
	HostCA ssh.PublicKey
	// Dir is the server's temporary directory, holding its configuration,
	// keys and log. On openssh and dropbear it belongs to User, so that
	// tests can have the server write files there.
	Dir string

	logPath string
}

// Options configures the servers started by StartOpenSSH, StartDropbear,
// StartParamiko and StartAsyncSSH. The zero value gives each server its
// default algorithms and three host keys.
type Options struct {
	// HostKeyTypes selects the host keys to generate, from "ed25519",
	// "ecdsa256", "ecdsa384", "ecdsa521", "rsa" and "dsa". The default is
	// ed25519, ecdsa256 and rsa. Asking for dsa makes sshd offer ssh-dss,
	// which it does not by default.
	HostKeyTypes []string

	// Config holds extra server configuration, read per server:
	//
	//   - openssh: sshd_config lines. They are written before the
	//     harness's own lines, because sshd keeps the first value it reads
	//     for most keywords, and a keyword given here replaces the harness's
	//     default for it. Lines from the first "Match" on go last.
	//   - dropbear: extra command-line arguments, split at white space
	//     (for example "-W 1048576" or "-s").
	//   - paramiko: "kex|ciphers|digests|key_types|compression a,b,c" set
	//     that list of the Transport's security options, in that order.
	//   - asyncssh: "name value" passes value as the keyword argument name
	//     of asyncssh.create_server, for example "kex_algs
	//     curve25519-sha256" or "encryption_algs aes128-ctr".
	//
	// The x/crypto server is configured by XSSHOptions.Config instead.
	Config []string

	// AllAlgorithms enables every algorithm the server implements, legacy
	// ones included: for sshd, KexAlgorithms, Ciphers, MACs,
	// HostKeyAlgorithms and PubkeyAcceptedAlgorithms set to the full
	// `ssh -Q` lists; for paramiko every kex, cipher and MAC of its tables
	// (except GSS-API key exchange), zlib compression and the server moduli
	// for group exchange; for asyncssh every key exchange, cipher, MAC,
	// compression and signature algorithm. dropbear offers what it was
	// compiled with either way.
	AllAlgorithms bool

	// AuthorizedKeys are authorized for User besides UserKey.
	AuthorizedKeys []ssh.PublicKey

	// Env is added to the server process's environment, for example
	// KRB5_KTNAME for GSS-API.
	Env []string

	// HostCertificates (OpenSSH only) signs every host key with a fresh
	// certificate authority, Server.HostCA, for the principals 127.0.0.1
	// and localhost, and has sshd present the certificates: it then offers
	// the -cert-v01@openssh.com host key algorithms too.
	HostCertificates bool

	// Kerberos (OpenSSH only) has sshd accept GSS-API users of this
	// realm: gssapi-with-mic, and the gss-* key exchanges with
	// gssapi-keyex. sshd_config gets GSSAPIAuthentication,
	// GSSAPIKeyExchange and GSSAPICleanupCredentials yes and
	// GSSAPIStrictAcceptorCheck no (Config lines for these keywords win),
	// and sshd's environment the realm's AcceptorEnv (Env wins).
	Kerberos *KDC

	// X11 (OpenSSH only) has sshd forward X11 as OpenSSH's client asks
	// for it (X11Forwarding yes, X11UseLocalhost yes: DISPLAY is
	// localhost:10 or the next free display, a TCP port on 127.0.0.1)
	// and gives sessions an XAUTHORITY file in Dir, so that the xauth sshd
	// runs never writes the test account's ~/.Xauthority. It needs the
	// xauth program (apt-get install xauth). X11Client runs an X client
	// there.
	X11 bool
}

// The account every server accepts. sshd and dropbear log in as this real
// local account; the others only compare names.
const (
	testUser     = "amikotest"
	testPassword = "amiko-test-password"
	testHome     = "/home/amikotest"
)

// defaultHostKeyTypes is what a server gets when Options.HostKeyTypes is
// empty: one key of each algorithm family a current client negotiates.
var defaultHostKeyTypes = []string{"ed25519", "ecdsa256", "rsa"}

// newServer sets up what every server has: a directory, a user key and a
// log file. If the test fails, the log is printed when the server stops.
func newServer(t testing.TB, name string) *Server {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("sshtest: generating user key: %v", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("sshtest: user key: %v", err)
	}
	s := &Server{
		Name:     name,
		User:     testUser,
		Password: testPassword,
		UserKey:  signer,
		Dir:      t.TempDir(),
	}
	s.logPath = filepath.Join(s.Dir, name+".log")
	if err := os.WriteFile(s.logPath, nil, 0o644); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	// Registered first, so it runs last: after the server has stopped and
	// written everything it will write.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sshtest: %s log (%s):\n%s", name, s.logPath, tail(s.Log(), 64<<10))
		}
	})
	return s
}

// Log returns the server's log so far: sshd's and dropbear's stderr,
// python's logging, or the x/crypto server's own notes.
func (s *Server) Log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// openLog opens the log for appending, for a server process's stderr.
// O_APPEND keeps the lines of concurrent processes whole.
func (s *Server) openLog() (*os.File, error) {
	return os.OpenFile(s.logPath, os.O_WRONLY|os.O_APPEND, 0)
}

// authorizedKeys returns the authorized_keys file content for the server:
// UserKey first, then extra.
func (s *Server) authorizedKeys(extra []ssh.PublicKey) []byte {
	var b bytes.Buffer
	b.Write(ssh.MarshalAuthorizedKey(s.UserKey.PublicKey()))
	for _, k := range extra {
		b.Write(ssh.MarshalAuthorizedKey(k))
	}
	return b.Bytes()
}

// HostKeyCallback accepts exactly the server's host keys.
func (s *Server) HostKeyCallback() ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		for _, k := range s.HostKeys {
			if bytes.Equal(k.Marshal(), key.Marshal()) {
				return nil
			}
		}
		return fmt.Errorf("sshtest: %s presented %s host key %s, which is not one of its own",
			s.Name, key.Type(), ssh.FingerprintSHA256(key))
	}
}

// ClientConfig returns an x/crypto/ssh client configuration that logs in
// with UserKey and checks the host key against HostKeys.
func (s *Server) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.UserKey)},
		HostKeyCallback: s.HostKeyCallback(),
		Timeout:         30 * time.Second,
	}
}

// KnownHosts returns known_hosts lines naming the server's address, one
// per host key, in the "[127.0.0.1]:port" form that clients look up.
func (s *Server) KnownHosts() []byte {
	var b bytes.Buffer
	for _, k := range s.HostKeys {
		b.WriteString(knownhosts.Line([]string{s.Addr}, k))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// hostKeyTypes validates o's host key types and applies the default.
func hostKeyTypes(types []string) ([]string, error) {
	if len(types) == 0 {
		return defaultHostKeyTypes, nil
	}
	var out []string
	for _, typ := range types {
		if _, ok := keySpecs[typ]; !ok {
			return nil, fmt.Errorf("sshtest: unknown host key type %q (want ed25519, ecdsa256, ecdsa384, ecdsa521, rsa or dsa)", typ)
		}
		if !slices.Contains(out, typ) {
			out = append(out, typ)
		}
	}
	return out, nil
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}
