package amiko

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

func knownHostsLine(t *testing.T, name string, key ssh.PublicKey) string {
	return name + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + "\n"
}

func connectWith(t *testing.T, c *Client, s *sshtest.Server) error {
	t.Helper()
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey})
	c.Close()
	return err
}

// TestAutoAddThenKnown: AutoAddPolicy writes the key to the loaded file
// as "[127.0.0.1]:port", and a second client with the default policy then
// finds it there.
func TestAutoAddThenKnown(t *testing.T) {
	home := isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	path := filepath.Join(home, "known_hosts")
	os.WriteFile(path, []byte("# my hosts\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"), 0o600)
	c := NewClient()
	if err := c.LoadHostKeys(path); err != nil {
		t.Fatal(err)
	}
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	if err := connectWith(t, c, s); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	if !strings.HasPrefix(string(data), "# my hosts\nother.example ") || !strings.Contains(string(data), "\n"+name+" ") {
		t.Fatalf("known_hosts after auto-add:\n%s", data)
	}
	c2 := NewClient()
	if err := c2.LoadSystemHostKeys(path); err != nil {
		t.Fatal(err)
	}
	if err := connectWith(t, c2, s); err != nil {
		t.Fatalf("the added key is not found: %v", err)
	}
}

// TestBadHostKey: a known host presenting another key of the same type,
// or a key of a type not listed for it, is a BadHostKeyError naming the
// host, the presented key and the expected one, whatever the policy.
func TestBadHostKey(t *testing.T) {
	isolate(t)
	for _, typ := range []string{"ed25519", "ecdsa256", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{typ}})
			// Another server's key of the same type stands for a changed key.
			other := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{typ}})
			name := HostKeyName("127.0.0.1", port(t, s.Addr))
			path := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(path, []byte(knownHostsLine(t, name, other.HostKeys[0])), 0o600)
			c := NewClient()
			c.LoadSystemHostKeys(path)
			c.SetMissingHostKeyPolicy(AutoAddPolicy{})
			err := connectWith(t, c, s)
			var bad *BadHostKeyError
			if !errors.As(err, &bad) || !errors.Is(err, ErrSSH) || bad.Host != name ||
				!bytes.Equal(bad.Presented.Marshal(), s.HostKeys[0].Marshal()) ||
				len(bad.Expected) != 1 || !bytes.Equal(bad.Expected[0].Marshal(), other.HostKeys[0].Marshal()) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("another key type", func(t *testing.T) {
		s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
		other := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{"ecdsa384"}})
		name := HostKeyName("127.0.0.1", port(t, s.Addr))
		path := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(path, []byte(knownHostsLine(t, name, other.HostKeys[0])), 0o600)
		c := NewClient()
		c.LoadSystemHostKeys(path)
		err := connectWith(t, c, s)
		var bad *BadHostKeyError
		if !errors.As(err, &bad) || bad.Presented.Type() != ssh.KeyAlgoED25519 || bad.Expected[0].Type() != ssh.KeyAlgoECDSA384 {
			t.Fatalf("got %v", err)
		}
	})
}

// TestKnownInEitherStore: a key listed in the system or in the local
// host keys is accepted, and the known key type is the one asked for.
func TestKnownInEitherStore(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519", "ecdsa256", "rsa"}})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	for i, k := range s.HostKeys {
		path := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(path, []byte(knownHostsLine(t, name, k)), 0o600)
		c := NewClient()
		if i%2 == 0 {
			c.LoadSystemHostKeys(path)
		} else {
			c.LoadHostKeys(path)
		}
		if err := connectWith(t, c, s); err != nil {
			t.Fatalf("%s known: %v", k.Type(), err)
		}
	}
}

func TestWarningPolicyLogsAndAccepts(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	var logs bytes.Buffer
	c := NewClient()
	c.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	c.SetMissingHostKeyPolicy(WarningPolicy{})
	if err := connectWith(t, c, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "unknown host key") || !strings.Contains(logs.String(), "SHA256:") {
		t.Fatalf("no warning logged: %q", logs.String())
	}
	if err := c.HostKeys().Check(HostKeyName("127.0.0.1", port(t, s.Addr)), s.HostKeys[0]); !errors.As(err, new(*UnknownHostError)) {
		t.Fatalf("WarningPolicy stored the key: %v", err)
	}
}

func TestLoadSystemHostKeysDefaultMissing(t *testing.T) {
	isolate(t)
	c := NewClient()
	if err := c.LoadSystemHostKeys(""); err != nil {
		t.Fatalf("missing default file: %v", err)
	}
	if err := c.LoadSystemHostKeys(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("missing explicit file: no error")
	}
}

// TestCertAuthorityAndRevoked: a host certificate signed by a CA listed as
// @cert-authority for the host is accepted with no key listed, and a
// host key listed as @revoked is refused whatever the policy.
func TestCertAuthorityAndRevoked(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, HostCertificates: true})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	dir := t.TempDir()

	ca := filepath.Join(dir, "ca")
	os.WriteFile(ca, []byte("@cert-authority "+knownHostsLine(t, name, s.HostCA)), 0o600)
	c := NewClient()
	c.LoadSystemHostKeys(ca)
	if err := connectWith(t, c, s); err != nil {
		t.Fatalf("certificate from a trusted CA: %v", err)
	}
	if info, _ := c.ConnInfo(); info.HostKey != nil {
		t.Fatal("ConnInfo after Close")
	}

	revoked := filepath.Join(dir, "revoked")
	os.WriteFile(revoked, []byte(knownHostsLine(t, name, s.HostKeys[0])+"@revoked "+knownHostsLine(t, "*", s.HostKeys[0])), 0o600)
	c = NewClient()
	c.LoadSystemHostKeys(revoked)
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	err := connectWith(t, c, s)
	var re *RevokedHostKeyError
	if !errors.As(err, &re) || !errors.Is(err, ErrSSH) {
		t.Fatalf("revoked key: %v", err)
	}
}

// TestSlowPolicyNotTimedOut: the missing host key policy may ask a person;
// the time it takes does not count against Timeout (paramiko runs it
// after start_client, with no timeout), while the context still bounds it.
func TestSlowPolicyNotTimedOut(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	trust := trustServer(s)
	c := NewClient()
	c.SetMissingHostKeyPolicy(PolicyFunc(func(ctx context.Context, host string, remote net.Addr, key ssh.PublicKey) error {
		time.Sleep(3500 * time.Millisecond) // a person reading the fingerprint
		return trust.MissingHostKey(ctx, c, host, remote, key)
	}))
	// Timeout leaves room for a loaded machine's handshake, and the
	// policy takes longer than all of it.
	opts := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey, Timeout: 3 * time.Second}
	if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil {
		t.Fatalf("a 3.5 s policy with Timeout 3 s: %v", err)
	}
	c.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	c.SetMissingHostKeyPolicy(PolicyFunc(func(ctx context.Context, _ string, _ net.Addr, _ ssh.PublicKey) error {
		<-ctx.Done()
		return ctx.Err()
	}))
	if err := c.Connect(ctx, "127.0.0.1", opts); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a policy waiting past the context's deadline: got %v", err)
	}
}

// TestLoadHostKeysMerges: loading a second known_hosts file adds to the
// first, as paramiko's load_host_keys does (before, it replaced it), and
// AutoAddPolicy writes to the file loaded last.
func TestLoadHostKeysMerges(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	dir := t.TempDir()
	knows := filepath.Join(dir, "knows")
	os.WriteFile(knows, []byte(knownHostsLine(t, name, s.HostKeys[0])), 0o600)
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"), 0o600)
	for _, system := range []bool{true, false} {
		c := NewClient()
		for _, f := range []string{knows, other} {
			load := c.LoadHostKeys
			if system {
				load = c.LoadSystemHostKeys
			}
			if err := load(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := connectWith(t, c, s); err != nil {
			t.Fatalf("system %v: the host is in the first file loaded: %v", system, err)
		}
	}

	// A new host goes to the file loaded last; the first stays as it was.
	s2 := sshtest.StartOpenSSH(t, sshtest.Options{})
	c := NewClient()
	c.LoadHostKeys(knows)
	c.LoadHostKeys(other)
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	if err := connectWith(t, c, s2); err != nil {
		t.Fatal(err)
	}
	name2 := HostKeyName("127.0.0.1", port(t, s2.Addr))
	if b, _ := os.ReadFile(other); !strings.Contains(string(b), name2) {
		t.Fatalf("the new host is not in the file loaded last:\n%s", b)
	}
	if b, _ := os.ReadFile(knows); strings.Contains(string(b), name2) {
		t.Fatalf("the new host was written to the first file:\n%s", b)
	}
}

// TestRevokedInEitherStore: a key the local file revokes is refused even
// though the system file lists it (before, the system file's acceptance
// ended the check).
func TestRevokedInEitherStore(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	dir := t.TempDir()
	system := filepath.Join(dir, "system")
	os.WriteFile(system, []byte(knownHostsLine(t, name, s.HostKeys[0])), 0o600)
	local := filepath.Join(dir, "local")
	os.WriteFile(local, []byte("@revoked "+knownHostsLine(t, "*", s.HostKeys[0])), 0o600)
	c := NewClient()
	c.LoadSystemHostKeys(system)
	c.LoadHostKeys(local)
	var re *RevokedHostKeyError
	if err := connectWith(t, c, s); !errors.As(err, &re) {
		t.Fatalf("listed in the system file, revoked in the local one: %v", err)
	}
}

// TestCertificateErrorDoesNotOverrideTheOtherStore: a host certificate
// one store's @cert-authority finds invalid for the host (another
// principal) does not refuse a key the other store lists, as it would
// not within one store; with no store vouching for the key, the
// certificate's error stands.
func TestCertificateErrorDoesNotOverrideTheOtherStore(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, HostCertificates: true})
	replaceLookup(t, "127.0.0.1")
	name := HostKeyName("h.example", port(t, s.Addr)) // not a principal of the certificate
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte(knownHostsLine(t, name, s.HostKeys[0])), 0o600)
	ca := filepath.Join(dir, "ca")
	os.WriteFile(ca, []byte("@cert-authority "+knownHostsLine(t, name, s.HostCA)), 0o600)
	connect := func(c *Client) error {
		err := c.Connect(t.Context(), "h.example", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey})
		c.Close()
		return err
	}
	c := NewClient()
	c.LoadSystemHostKeys(plain)
	c.LoadHostKeys(ca)
	if err := connect(c); err != nil {
		t.Fatalf("the key listed in the system file, the CA's certificate invalid in the local one: %v", err)
	}
	c = NewClient()
	c.LoadHostKeys(ca)
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	var ce *HostCertificateError
	if err := connect(c); !errors.As(err, &ce) {
		t.Fatalf("only the CA's invalid certificate: %v", err)
	}
}

// TestWarningPolicyWarnsWithoutLogger: with no logger set the warning
// goes to slog's default logger (standard error), as paramiko's goes to
// Python's warnings: WarningPolicy is not a silent AutoAdd.
func TestWarningPolicyWarnsWithoutLogger(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	var logs bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(saved)
	c := NewClient()
	c.SetMissingHostKeyPolicy(WarningPolicy{})
	if err := connectWith(t, c, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "unknown host key") {
		t.Fatalf("no warning on the default logger: %q", logs.String())
	}
}
