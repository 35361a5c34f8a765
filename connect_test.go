package amiko

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// isolate points HOME at a temporary directory and clears the agent, so
// that no test sees the real user's keys.
func isolate(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	return home
}

// trustServer is a policy that accepts exactly s's host keys.
func trustServer(s *sshtest.Server) MissingHostKeyPolicy {
	return HostKeyCallbackPolicy(s.HostKeyCallback())
}

// writeKey writes signer's private key to path, encrypted if passphrase
// is set.
func writeKey(t *testing.T, path string, key any, passphrase string) {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(key, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

// userKey returns a fresh ed25519 key authorized on a new sshd, and the
// server.
func serverWithKey(t *testing.T) (*sshtest.Server, ed25519.PrivateKey) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub, _ := ssh.NewPublicKey(priv.Public())
	return sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{pub}}), priv
}

func port(t *testing.T, addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var n int
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestConnectWithKeyFile(t *testing.T) {
	home := isolate(t)
	s, priv := serverWithKey(t)
	keyFile := filepath.Join(home, "mykey")
	writeKey(t, keyFile, priv, "")
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{keyFile}})
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := c.ConnInfo(); info.AuthMethod != "publickey ("+keyFile+")" {
		t.Errorf("AuthMethod %q", info.AuthMethod)
	}
	c.Close()
}

func TestConnectWithPKey(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey}); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestEncryptedKeyFiles: the seed's "If a private key requires a password
// to unlock it, and a password is passed in, that password will be used
// to attempt to unlock the key", and paramiko's later passphrase.
func TestEncryptedKeyFiles(t *testing.T) {
	home := isolate(t)
	s, priv := serverWithKey(t)
	keyFile := filepath.Join(home, "enc")
	writeKey(t, keyFile, priv, "sesame")
	connect := func(o ConnectOptions) error {
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		o.Port, o.Username, o.KeyFilenames = port(t, s.Addr), s.User, []string{keyFile}
		err := c.Connect(t.Context(), "127.0.0.1", &o)
		c.Close()
		return err
	}
	if err := connect(ConnectOptions{Passphrase: "sesame"}); err != nil {
		t.Fatalf("passphrase: %v", err)
	}
	if err := connect(ConnectOptions{Password: "sesame"}); err != nil {
		t.Fatalf("password unlocking the key: %v", err)
	}
	err := connect(ConnectOptions{})
	var ae *AuthenticationError
	var pr *PassphraseRequiredError
	if !errors.As(err, &ae) || !errors.As(ae.Attempts[0].Err, &pr) || pr.File != keyFile {
		t.Fatalf("no passphrase: got %v", err)
	}
	if !errors.Is(err, ErrSSH) {
		t.Fatal("authentication error does not match ErrSSH")
	}
	err = connect(ConnectOptions{Passphrase: "wrong"})
	if !errors.As(err, &ae) || !strings.Contains(ae.Attempts[0].Err.Error(), "wrong passphrase") {
		t.Fatalf("wrong passphrase: got %v", err)
	}
}

func TestCertificateBesideKey(t *testing.T) {
	home := isolate(t)
	// sshd trusting a user CA; the user key itself is not authorized.
	caKeyFile := filepath.Join(home, "user_ca")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", caKeyFile)
	caPub, _ := os.ReadFile(caKeyFile + ".pub")
	caDir := t.TempDir()
	os.Chmod(caDir, 0o755)
	caPath := filepath.Join(caDir, "user_ca.pub")
	os.WriteFile(caPath, caPub, 0o644)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"TrustedUserCAKeys " + caPath}})
	keyFile := filepath.Join(home, "id_cert_user")
	run(t, "ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", keyFile)
	run(t, "ssh-keygen", "-q", "-s", caKeyFile, "-I", "test", "-n", s.User, "-V", "-5m:+1h", keyFile+".pub")
	for _, given := range []string{keyFile, keyFile + "-cert.pub"} {
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{given}})
		if err != nil {
			t.Fatalf("key_filename %s: %v", given, err)
		}
		c.Close()
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// TestAgentKeys: a real ssh-agent with the key added by ssh-add.
func TestAgentKeys(t *testing.T) {
	home := isolate(t)
	s, priv := serverWithKey(t)
	keyFile := filepath.Join(home, "agentkey")
	writeKey(t, keyFile, priv, "")
	sock := sshtest.StartAgent(t, keyFile)
	os.Remove(keyFile)
	t.Setenv("SSH_AUTH_SOCK", sock)
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// allow_agent=False.
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, DisableAgent: true})
	if !errors.As(err, new(*AuthenticationError)) {
		t.Fatalf("with the agent disabled: %v", err)
	}
}

// TestKeyDiscovery: ~/.ssh/id_* found with look_for_keys, ignored without.
func TestKeyDiscovery(t *testing.T) {
	home := isolate(t)
	s, priv := serverWithKey(t)
	writeKey(t, filepath.Join(home, ".ssh", "id_ed25519"), priv, "")
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, DisableKeyDiscovery: true})
	var ae *AuthenticationError
	if !errors.As(err, &ae) || len(ae.Attempts) != 0 || !slices.Contains(ae.Allowed, "publickey") {
		t.Fatalf("with discovery off: %v", err)
	}
}

func TestUnknownHostRejectedByDefault(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	err := NewClient().Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey})
	var ue *UnknownHostError
	if !errors.As(err, &ue) || !errors.Is(err, ErrSSH) || ue.Host != HostKeyName("127.0.0.1", port(t, s.Addr)) {
		t.Fatalf("got %v", err)
	}
}

func TestBannerTimeout(t *testing.T) {
	isolate(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	go func() {
		nc, err := l.Accept()
		if err == nil {
			io.Copy(io.Discard, nc)
		}
	}()
	start := time.Now()
	err := NewClient().Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, l.Addr().String()), BannerTimeout: 300 * time.Millisecond})
	var te *TimeoutError
	if !errors.As(err, &te) || te.Phase != "banner" || !errors.Is(err, ErrSSH) {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

func TestNoValidConnections(t *testing.T) {
	isolate(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	err := NewClient().Connect(t.Context(), "localhost", &ConnectOptions{Port: port(t, addr)})
	var nv *NoValidConnectionsError
	if !errors.As(err, &nv) || len(nv.Errors) == 0 || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v", err)
	}
	if errors.Is(err, ErrSSH) {
		t.Fatal("a socket error matches ErrSSH")
	}
}

// TestSock: a net.Conn given as Sock carries the connection; nothing is
// dialed, and Close closes it.
func TestSock(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	nc, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	// The host name is only a name: nothing resolves it.
	if err := c.Connect(t.Context(), "no-such-host.invalid", &ConnectOptions{Sock: nc, Username: s.User, PKey: s.UserKey}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := nc.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Sock still open after Close: %v", err)
	}
	// A Connect that fails closes its Sock, even before sending anything.
	for name, o := range map[string]*ConnectOptions{
		"GSS-API":       {GSSAuth: true},
		"bad algorithm": {PreferredAlgorithms: PreferredAlgorithms{Ciphers: []string{"rot13"}}},
		"auth":          {DisableAgent: true, DisableKeyDiscovery: true},
	} {
		nc, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		o.Sock, o.Username = nc, s.User
		if err := c.Connect(t.Context(), "127.0.0.1", o); err == nil {
			t.Fatalf("%s: connected", name)
		}
		if _, err := nc.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s: Sock still open after a failed Connect: %v", name, err)
		}
	}
}

func TestCompress(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"Compression yes"}})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey, Compress: true}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if a := c.conn.t.Algorithms(); a.CompressionIn != "zlib@openssh.com" || a.CompressionOut != "zlib@openssh.com" {
		t.Fatalf("compression: %+v", a)
	}
}

func TestContextCancelsConnect(t *testing.T) {
	isolate(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	go func() {
		nc, err := l.Accept()
		if err == nil {
			io.Copy(io.Discard, nc)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := NewClient().Connect(ctx, "127.0.0.1", &ConnectOptions{Port: port(t, l.Addr().String())})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// TestPassword: plain password authentication on each server that takes
// it, after the keys (none here).
func TestPassword(t *testing.T) {
	isolate(t)
	for _, start := range []func(*testing.T) *sshtest.Server{
		func(t *testing.T) *sshtest.Server { return sshtest.StartOpenSSH(t, sshtest.Options{}) },
		func(t *testing.T) *sshtest.Server { return sshtest.StartDropbear(t, sshtest.Options{}) },
		func(t *testing.T) *sshtest.Server { return sshtest.StartXSSH(t, sshtest.XSSHOptions{}) },
	} {
		s := start(t)
		t.Run(s.Name, func(t *testing.T) {
			c := NewClient()
			c.SetMissingHostKeyPolicy(trustServer(s))
			if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: s.Password}); err != nil {
				t.Fatal(err)
			}
			c.Close()
			err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: "wrong"})
			var ae *AuthenticationError
			if !errors.As(err, &ae) || len(ae.Attempts) == 0 || ae.Attempts[len(ae.Attempts)-1].Method == "" {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

// TestPasswordFallsBackToKeyboardInteractive: a server that offers only
// keyboard-interactive still takes the password.
func TestPasswordFallsBackToKeyboardInteractive(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"UsePAM yes", "PasswordAuthentication no", "KbdInteractiveAuthentication yes"}})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: s.Password}); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestAuthTrickleDown: a wrong key file passphrase, then the password
// works (paramiko's trickle-down test); every attempt is reported when
// nothing works.
func TestAuthTrickleDown(t *testing.T) {
	home := isolate(t)
	s, priv := serverWithKey(t)
	keyFile := filepath.Join(home, "enc")
	writeKey(t, keyFile, priv, "right")
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	o := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{keyFile}, Passphrase: "wrong", Password: s.Password}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	c.Close()
	o.Password = "also wrong"
	err := c.Connect(t.Context(), "127.0.0.1", o)
	var ae *AuthenticationError
	if !errors.As(err, &ae) || len(ae.Attempts) < 2 || ae.Attempts[0].Source != keyFile || ae.Attempts[1].Method != "password" {
		t.Fatalf("got %v", err)
	}
}

func TestDefaultUsernameFromEnvironment(t *testing.T) {
	for _, v := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		t.Setenv(v, "")
	}
	t.Setenv("USER", "from-user")
	t.Setenv("USERNAME", "from-username")
	if u, err := localUsername(); err != nil || u != "from-user" {
		t.Fatalf("got %q, %v", u, err)
	}
	t.Setenv("LOGNAME", "from-logname")
	if u, _ := localUsername(); u != "from-logname" {
		t.Fatalf("LOGNAME does not come first: %q", u)
	}
	for _, v := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		t.Setenv(v, "")
	}
	if u, err := localUsername(); err != nil || u == "" {
		t.Fatalf("account database: %q, %v", u, err)
	}
}

// TestDialUsesUserKnownHosts: Dial trusts ~/.ssh/known_hosts.
func TestDialUsesUserKnownHosts(t *testing.T) {
	home := isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	if _, err := Dial(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey}); !errors.As(err, new(*UnknownHostError)) {
		t.Fatalf("unknown host: %v", err)
	}
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	line := HostKeyName("127.0.0.1", port(t, s.Addr)) + " " + string(ssh.MarshalAuthorizedKey(s.HostKeys[0]))
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(line), 0o600)
	c, err := Dial(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestPartialSuccess: a server that wants a key and then a password; once
// the key earned partial success no more keys are offered.
func TestPartialSuccess(t *testing.T) {
	home := isolate(t)
	s2 := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"AuthenticationMethods publickey,password"}})
	keyFile := filepath.Join(home, "k")
	writeKey(t, keyFile, mustPrivate(t, s2), "")
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s2))
	o := &ConnectOptions{Port: port(t, s2.Addr), Username: s2.User, KeyFilenames: []string{keyFile}, Password: s2.Password}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	c.Close()
	o.Password = ""
	err := c.Connect(t.Context(), "127.0.0.1", o)
	var ae *AuthenticationError
	if !errors.As(err, &ae) || !slices.Equal(ae.Allowed, []string{"password"}) {
		t.Fatalf("key only: %v", err)
	}
}

// mustPrivate returns a fresh private key authorized on s.
func mustPrivate(t *testing.T, s *sshtest.Server) any {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub, _ := ssh.NewPublicKey(priv.Public())
	authorize(t, s, pub)
	return priv
}

// authorize appends pub to sshd's authorized_keys.
func authorize(t *testing.T, s *sshtest.Server, pub ssh.PublicKey) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(s.Dir, "authorized_keys"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(ssh.MarshalAuthorizedKey(pub))
}

// TestTooManyAuthenticationFailures: sshd hangs up after MaxAuthTries;
// that is an authentication error listing every attempt.
func TestTooManyAuthenticationFailures(t *testing.T) {
	home := isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"MaxAuthTries 2"}})
	var files []string
	for i := range 4 {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		f := filepath.Join(home, "wrong"+string(rune('a'+i)))
		writeKey(t, f, priv, "")
		files = append(files, f)
	}
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: files})
	var ae *AuthenticationError
	if !errors.As(err, &ae) || len(ae.Attempts) < 2 {
		t.Fatalf("got %v", err)
	}
	last := ae.Attempts[len(ae.Attempts)-1].Err
	var de *DisconnectError
	if !errors.As(last, &de) || !strings.Contains(strings.ToLower(de.Message), "too many authentication failures") {
		t.Fatalf("last attempt: %v", last)
	}
	t.Log(err)
}

func TestCallbacks(t *testing.T) {
	home := isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	keyFile := filepath.Join(home, "enc")
	writeKey(t, keyFile, mustPrivate(t, s), "asked")
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	var askedFor string
	o := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: []string{keyFile},
		PassphraseCallback: func(f string) (string, error) { askedFor = f; return "asked", nil }}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil || askedFor != keyFile {
		t.Fatalf("passphrase callback: %v (asked for %q)", err, askedFor)
	}
	c.Close()
	o = &ConnectOptions{Port: port(t, s.Addr), Username: s.User,
		PasswordCallback: func() (string, error) { return s.Password, nil }}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatalf("password callback: %v", err)
	}
	c.Close()
}

func TestKeyboardInteractiveAnswers(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{"UsePAM yes", "PasswordAuthentication no", "KbdInteractiveAuthentication yes"}})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	var seen []string
	o := &ConnectOptions{Port: port(t, s.Addr), Username: s.User,
		KeyboardInteractive: func(name, instruction string, prompts []Prompt) ([]string, error) {
			answers := make([]string, len(prompts))
			for i, p := range prompts {
				seen = append(seen, p.Text)
				answers[i] = s.Password
			}
			return answers, nil
		}}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(seen) == 0 || !strings.Contains(strings.ToLower(seen[0]), "password") {
		t.Fatalf("prompts: %q", seen)
	}
}

// TestDisabledAlgorithms: paramiko's disabled_algorithms are honoured.
func TestDisabledAlgorithms(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	o := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey, DisabledAlgorithms: DisabledAlgorithms{
		Kex: []string{"curve25519*"}, Ciphers: []string{"chacha20-poly1305@openssh.com", "aes*-gcm@openssh.com"},
		MACs: []string{"*-etm@openssh.com"}, HostKeys: []string{"ssh-ed25519*"},
	}}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, ok := c.ConnInfo()
	if !ok {
		t.Fatal("no connection info")
	}
	a := info.Algorithms
	if strings.HasPrefix(a.Kex, "curve25519") || strings.Contains(a.CipherOut, "gcm") || a.CipherOut == "chacha20-poly1305@openssh.com" ||
		strings.HasSuffix(a.MACOut, "-etm@openssh.com") || a.HostKey == "ssh-ed25519" {
		t.Fatalf("a disabled algorithm was negotiated: %+v", a)
	}
	if !strings.HasPrefix(info.ServerVersion, "SSH-2.0-OpenSSH_") || len(info.SessionID) == 0 || !info.StrictKex {
		t.Fatalf("connection info: %+v", info)
	}
}

// TestAuthTimeout: a server that never answers authentication is given
// up on after AuthTimeout. The server's answer is held until the test
// ends, so Connect can only return because the timeout cut it short.
func TestGSSAuthNeedsMechanism(t *testing.T) {
	err := NewClient().Connect(t.Context(), "127.0.0.1", &ConnectOptions{GSSAuth: true})
	if err == nil || !errors.Is(err, ErrSSH) || !strings.Contains(err.Error(), "GSSMechanism") {
		t.Fatalf("got %v", err)
	}
}

// plainSigner hides every interface of an RSA signer but ssh.Signer: it
// cannot choose rsa-sha2-256 or rsa-sha2-512.
type plainSigner struct{ ssh.Signer }

// TestRSASignerWithoutAlgorithmChoice: such a key is a typed error noted
// in the attempts, never a silent SHA-1 signature, and the cascade goes on
// to the password.
func TestRSASignerWithoutAlgorithmChoice(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(key)
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	o := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: plainSigner{signer}, Password: s.Password}
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatal(err)
	}
	c.Close()
	o.Password = ""
	err = c.Connect(t.Context(), "127.0.0.1", o)
	var ae *AuthenticationError
	var se *SignerError
	if !errors.As(err, &ae) || len(ae.Attempts) == 0 || !errors.As(ae.Attempts[0].Err, &se) {
		t.Fatalf("got %v", err)
	}
}

// TestKeysTheServerCannotAcceptAreNotOffered: with a server that announces
// only Ed25519 in server-sig-algs and allows two failures, three ECDSA key
// files before the right key would end the connection; they are skipped
// with a reason instead. (OpenSSH 9.2's server-sig-algs lists every
// algorithm it knows whatever PubkeyAcceptedAlgorithms says, so the
// x/crypto server, which announces what it accepts, shows this.)
func TestKeysTheServerCannotAcceptAreNotOffered(t *testing.T) {
	home := isolate(t)
	_, goodKey, _ := ed25519.GenerateKey(rand.Reader)
	goodPub, _ := ssh.NewPublicKey(goodKey.Public())
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{AuthorizedKeys: []ssh.PublicKey{goodPub}, Config: func(c *ssh.ServerConfig) {
		c.MaxAuthTries = 2
		c.PublicKeyAuthAlgorithms = []string{ssh.KeyAlgoED25519}
	}})
	var files []string
	for i := range 3 {
		f := filepath.Join(home, "ecdsa"+string(rune('a'+i)))
		run(t, "ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", f)
		files = append(files, f)
	}
	good := filepath.Join(home, "good")
	writeKey(t, good, goodKey, "")
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: append(files, good)}); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestAddressFallback: every address of the name is tried in resolver
// order; a refused one moves on to the next.
func TestAddressFallback(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	orig := lookupHost
	t.Cleanup(func() { lookupHost = orig })
	// Nothing listens on ::1 or 127.0.0.2 at the server's port.
	lookupHost = func(context.Context, string) ([]string, error) { return []string{"::1", "127.0.0.2", "127.0.0.1"}, nil }
	c := NewClient()
	c.SetMissingHostKeyPolicy(HostKeyCallbackPolicy(ssh.InsecureIgnoreHostKey()))
	if err := c.Connect(t.Context(), "multi.example", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey}); err != nil {
		t.Fatal(err)
	}
	info, _ := c.ConnInfo()
	if !strings.HasPrefix(info.RemoteAddr.String(), "127.0.0.1:") {
		t.Fatalf("connected to %v", info.RemoteAddr)
	}
	c.Close()
	lookupHost = func(context.Context, string) ([]string, error) { return []string{"::1", "127.0.0.2"}, nil }
	err := c.Connect(t.Context(), "multi.example", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey})
	var nv *NoValidConnectionsError
	if !errors.As(err, &nv) || len(nv.Errors) != 2 {
		t.Fatalf("got %v", err)
	}
}

// writeCounter counts the writes made to a connection: the client
// writes once per flight.
type writeCounter struct {
	net.Conn
	writes atomic.Int32
}

func (w *writeCounter) Write(b []byte) (int, error) {
	w.writes.Add(1)
	return w.Conn.Write(b)
}

// TestConnectGuessesKexFromTheSecondConnection: the second connection to
// a server whose first kex and host key algorithms are amiko's sends its
// kex message with KEXINIT, one flight fewer than the first, and
// DisableKexGuess keeps it from doing so. The process-wide memory of
// servers starts empty for the test: an earlier test's server on the
// same port would otherwise make the first connection guess too. (No
// test of this package runs in parallel with it.)
func TestConnectGuessesKexFromTheSecondConnection(t *testing.T) {
	isolate(t)
	saved := kexGuesses
	kexGuesses = transport.NewKexGuesses()
	t.Cleanup(func() { kexGuesses = saved })
	// A known Ed25519 key puts ssh-ed25519 first in amiko's list, and it
	// is the server's first.
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{"ed25519"}})
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKeys[0]) + "\n"
	if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	writes := func(disable bool) int32 {
		nc, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		w := &writeCounter{Conn: nc}
		c := NewClient()
		if err := c.LoadHostKeys(knownHosts); err != nil {
			t.Fatal(err)
		}
		err = c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: s.Password,
			Sock: w, DisableAgent: true, DisableKeyDiscovery: true, DisableKexGuess: disable})
		if err != nil {
			t.Fatal(err)
		}
		n := w.writes.Load()
		c.Close()
		return n
	}
	first := writes(false)
	second := writes(false)
	disabled := writes(true)
	if second != first-1 || disabled != first {
		t.Fatalf("writes while connecting: %d, then %d, then %d with DisableKexGuess; want n, n-1, n", first, second, disabled)
	}
}
