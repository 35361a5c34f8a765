package amiko

// paramiko's own client test scenarios (its tests/test_client.py) that
// no other test in this package already covers, against OpenSSH's sshd
// with keys, certificates and known_hosts files made by OpenSSH's
// ssh-keygen.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// keygen makes a key pair with ssh-keygen (no passphrase) at path and
// returns its public key.
func keygen(t *testing.T, path string, args ...string) ssh.PublicKey {
	t.Helper()
	run(t, "ssh-keygen", append([]string{"-q", "-N", "", "-C", "amiko test", "-f", path}, args...)...)
	return readPublicKey(t, path+".pub")
}

// readPublicKey reads an authorized_keys-format file: a .pub or a
// -cert.pub.
func readPublicKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pub
}

// copyFile copies src to dst (mode 0600), making dst's directory.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// keyFileOpts are options that authenticate to s with key files only.
func keyFileOpts(t *testing.T, s *sshtest.Server, files ...string) *ConnectOptions {
	return &ConnectOptions{Port: port(t, s.Addr), Username: s.User, KeyFilenames: files, DisableAgent: true, DisableKeyDiscovery: true}
}

// connectOnce connects a new client that trusts s with o, closes it, and
// returns Connect's error.
func connectOnce(t *testing.T, s *sshtest.Server, o *ConnectOptions) error {
	t.Helper()
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", o)
	c.Close()
	return err
}

// TestScenarioKeyTypesByFile: paramiko's test_client per key type, each
// key given as key_filename, as ssh-keygen writes it (OpenSSH format, and
// PEM for the types that have one).
func TestScenarioKeyTypesByFile(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	kinds := []struct {
		name string
		args []string
	}{
		{"rsa", []string{"-t", "rsa", "-b", "2048"}},
		{"rsa-pem", []string{"-t", "rsa", "-b", "2048", "-m", "PEM"}},
		{"ecdsa-256", []string{"-t", "ecdsa", "-b", "256"}},
		{"ecdsa-384", []string{"-t", "ecdsa", "-b", "384"}},
		{"ecdsa-521", []string{"-t", "ecdsa", "-b", "521"}},
		{"ecdsa-pem", []string{"-t", "ecdsa", "-m", "PEM"}},
		{"ed25519", []string{"-t", "ed25519"}},
	}
	var pubs []ssh.PublicKey
	for _, k := range kinds {
		pubs = append(pubs, keygen(t, filepath.Join(dir, k.name), k.args...))
	}
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: pubs})
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			if err := connectOnce(t, s, keyFileOpts(t, s, filepath.Join(dir, k.name))); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("dsa", func(t *testing.T) {
		t.Skip("DSA (ssh-dss) user keys are legacy: OpenSSH 9.2 refuses them by default, x/crypto/ssh cannot read them in OpenSSH's key format, and ConnectOptions cannot enable ssh-dss; a discovered id_dsa skipped with a noted reason is TestSeedDiscoverableKeys")
	})
}

// TestScenarioSeveralKeyFiles: paramiko's test_multiple_key_files and
// test_multiple_key_files_failure. Key files are tried in the order
// given until one is accepted; a file that is missing or a key the
// server refuses does not stop the others; with none accepted every file
// is reported in order.
func TestScenarioSeveralKeyFiles(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	wrongECDSA, wrongRSA, good := filepath.Join(dir, "ecdsa"), filepath.Join(dir, "rsa"), filepath.Join(dir, "good")
	keygen(t, wrongECDSA, "-t", "ecdsa")
	keygen(t, wrongRSA, "-t", "rsa", "-b", "2048")
	goodPub := keygen(t, good, "-t", "ed25519")
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: []ssh.PublicKey{goodPub}})

	// sshd's log tells which keys were offered, in order.
	names := map[string]string{}
	for _, f := range []string{wrongECDSA, wrongRSA, good} {
		names[strings.Fields(string(ssh.MarshalAuthorizedKey(readPublicKey(t, f+".pub"))))[1]] = f
	}
	offered := func(files ...string) []string {
		t.Helper()
		before := len(s.Log())
		if err := connectOnce(t, s, keyFileOpts(t, s, files...)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range strings.Split(s.Log()[before:], "\n") {
			if _, rest, ok := strings.Cut(l, "attempting public key "); ok {
				if f := strings.Fields(rest); len(f) >= 2 {
					got = append(got, names[f[1]])
				}
			}
		}
		return got
	}
	if got, want := offered(missing, wrongECDSA, wrongRSA, good), []string{wrongECDSA, wrongRSA, good}; !slices.Equal(got, want) {
		t.Fatalf("offered %q, want %q", got, want)
	}
	// Accepted first: nothing else is offered.
	if got, want := offered(good, wrongECDSA), []string{good}; !slices.Equal(got, want) {
		t.Fatalf("offered %q, want %q", got, want)
	}

	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", keyFileOpts(t, s, wrongECDSA, missing, wrongRSA))
	var ae *AuthenticationError
	if !errors.As(err, &ae) {
		t.Fatalf("none accepted: %v", err)
	}
	var sources []string
	for _, a := range ae.Attempts {
		sources = append(sources, a.Source)
	}
	if want := []string{wrongECDSA, missing, wrongRSA}; !slices.Equal(sources, want) {
		t.Fatalf("attempts %v, want %q", ae.Attempts, want)
	}
	if !errors.Is(ae.Attempts[1].Err, os.ErrNotExist) {
		t.Fatalf("missing file noted as %v", ae.Attempts[1].Err)
	}
}

// userCA makes a user certificate authority with ssh-keygen and returns
// its private key file and the sshd_config line that trusts it.
func userCA(t *testing.T) (caKey, config string) {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755) // sshd reads the CA's public key
	caKey = filepath.Join(dir, "user_ca")
	keygen(t, caKey, "-t", "ed25519")
	os.Chmod(caKey+".pub", 0o644)
	return caKey, "TrustedUserCAKeys " + caKey + ".pub"
}

// certify signs keyFile's public key with caKey for principal, writing
// keyFile-cert.pub as ssh-keygen -s does.
func certify(t *testing.T, caKey, keyFile, principal string) string {
	t.Helper()
	run(t, "ssh-keygen", "-q", "-s", caKey, "-I", "amiko test", "-n", principal, "-V", "-5m:+1h", keyFile+".pub")
	return keyFile + "-cert.pub"
}

// TestScenarioCertificates: paramiko's test_certs_allowed_as_key_filename_values,
// test_certs_implicitly_loaded_alongside_key_filename_keys,
// test_default_key_locations_trigger_cert_loads_if_found and
// test_newer_openssh_uses_rsa_sha2_for_certs_not_ssh_rsa, for RSA and
// Ed25519 (ECDSA is TestCertificateBesideKey): sshd trusts a user CA made
// with ssh-keygen and none of the keys themselves, so only the
// certificate can log in. An RSA certificate signs with rsa-sha2-*:
// OpenSSH 9.2 refuses ssh-rsa.
func TestScenarioCertificates(t *testing.T) {
	isolate(t)
	caKey, trust := userCA(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, Config: []string{trust}})
	for _, typ := range []struct{ name, file string }{{"rsa", "id_rsa"}, {"ed25519", "id_ed25519"}} {
		t.Run(typ.name, func(t *testing.T) {
			dir := t.TempDir()
			key := filepath.Join(dir, typ.file)
			keygen(t, key, "-t", typ.name)
			bare := filepath.Join(t.TempDir(), "bare")
			copyFile(t, key, bare)
			if err := connectOnce(t, s, keyFileOpts(t, s, bare)); !errors.As(err, new(*AuthenticationError)) {
				t.Fatalf("the key without its certificate: %v", err)
			}
			cert := certify(t, caKey, key, s.User)

			if err := connectOnce(t, s, keyFileOpts(t, s, key)); err != nil {
				t.Errorf("key_filename %s, certificate beside it: %v", key, err)
			}
			if err := connectOnce(t, s, keyFileOpts(t, s, cert)); err != nil {
				t.Errorf("key_filename %s: %v", cert, err)
			}

			b, _ := os.ReadFile(key)
			signer, err := ssh.ParsePrivateKey(b)
			if err != nil {
				t.Fatal(err)
			}
			certSigner, err := ssh.NewCertSigner(readPublicKey(t, cert).(*ssh.Certificate), signer)
			if err != nil {
				t.Fatal(err)
			}
			o := keyFileOpts(t, s)
			o.PKey = certSigner
			if err := connectOnce(t, s, o); err != nil {
				t.Errorf("pkey a certificate signer: %v", err)
			}

			home := isolate(t)
			copyFile(t, key, filepath.Join(home, ".ssh", typ.file))
			copyFile(t, cert, filepath.Join(home, ".ssh", typ.file+"-cert.pub"))
			o = keyFileOpts(t, s)
			o.DisableKeyDiscovery = false
			if err := connectOnce(t, s, o); err != nil {
				t.Errorf("discovered ~/.ssh/%s with its certificate: %v", typ.file, err)
			}
		})
	}
}

// TestScenarioAutoAddInMemory: paramiko's test_auto_add_policy, with no
// host keys file loaded: the key is added to the client's host keys in
// memory, under "[127.0.0.1]:port", and a second connection then finds
// it there without asking any policy.
func TestScenarioAutoAddInMemory(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	c := NewClient()
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	if err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := c.HostKeys().Check(fmt.Sprintf("[127.0.0.1]:%d", port(t, s.Addr)), s.HostKeys[0]); err != nil {
		t.Fatalf("the key was not added: %v", err)
	}
	c.SetMissingHostKeyPolicy(RejectPolicy{})
	if err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s)); err != nil {
		t.Fatalf("the added key is not used: %v", err)
	}
	c.Close()
}

// TestScenarioSaveHostKeys: paramiko's test_save_host_keys, checked with
// OpenSSH's ssh-keygen -F. Saving keeps the file as it was (a comment
// and a line hashed by ssh-keygen -H) and adds the new host, hashed when
// asked; an in-memory store cannot be saved.
func TestScenarioSaveHostKeys(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	otherPub := keygen(t, filepath.Join(t.TempDir(), "other"), "-t", "ed25519")
	find := func(path, host string) string {
		t.Helper()
		out, err := exec.Command("ssh-keygen", "-F", host, "-f", path).Output()
		if err != nil {
			t.Fatalf("ssh-keygen -F %s does not find it: %v\n%s", host, err, out)
		}
		return string(out)
	}
	for _, hash := range []bool{false, true} {
		t.Run(fmt.Sprintf("hashed %v", hash), func(t *testing.T) {
			path := knownHostsFile(t, "# kept as it is\n", knownHostsLine(t, "other.example", otherPub))
			run(t, "ssh-keygen", "-q", "-H", "-f", path)
			before, _ := os.ReadFile(path)
			c := NewClient()
			if err := c.LoadHostKeys(path); err != nil {
				t.Fatal(err)
			}
			c.HostKeys().(*KnownHostsFile).HashNames = hash
			c.SetMissingHostKeyPolicy(AutoAddPolicy{})
			if err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s)); err != nil {
				t.Fatal(err)
			}
			c.Close()
			if err := c.SaveHostKeys(); err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(path)
			added, ok := bytes.CutPrefix(after, before)
			if !ok || bytes.Count(added, []byte("\n")) != 1 || bytes.HasPrefix(added, []byte("|1|")) != hash {
				t.Fatalf("before:\n%s\nafter:\n%s", before, after)
			}
			if got := find(path, name); !strings.Contains(got, strings.Fields(string(ssh.MarshalAuthorizedKey(s.HostKeys[0])))[1]) {
				t.Fatalf("ssh-keygen -F %s:\n%s", name, got)
			}
			find(path, "other.example")
		})
	}
	c := NewClient()
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	if err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := c.SaveHostKeys(); err == nil {
		t.Fatal("saved host keys that came from no file")
	}
}

// TestScenarioPolicyTypeOrValue: paramiko's
// test_missing_key_policy_accepts_classes_or_instances and
// test_reject_policy. In Go a policy is a value or a pointer to one, or
// a function; nil means the default, RejectPolicy.
func TestScenarioPolicyTypeOrValue(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	for _, tc := range []struct {
		name   string
		policy MissingHostKeyPolicy
		added  bool // the key is in the host keys afterwards
		reject bool
	}{
		{"AutoAddPolicy{}", AutoAddPolicy{}, true, false},
		{"&AutoAddPolicy{}", &AutoAddPolicy{}, true, false},
		{"WarningPolicy{}", WarningPolicy{}, false, false},
		{"&WarningPolicy{}", &WarningPolicy{}, false, false},
		{"RejectPolicy{}", RejectPolicy{}, false, true},
		{"&RejectPolicy{}", &RejectPolicy{}, false, true},
		{"nil", nil, false, true},
		{"PolicyFunc", PolicyFunc(func(_ context.Context, host string, remote net.Addr, key ssh.PublicKey) error {
			return s.HostKeyCallback()(host, remote, key)
		}), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClient()
			// Another policy first, so that setting this one is seen.
			c.SetMissingHostKeyPolicy(WarningPolicy{})
			c.SetMissingHostKeyPolicy(tc.policy)
			err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s))
			c.Close()
			var ue *UnknownHostError
			switch {
			case tc.reject && (!errors.As(err, &ue) || ue.Host != name || !isHostKey(s, ue.Key) || !errors.Is(err, ErrSSH)):
				t.Fatalf("got %v, want the host rejected", err)
			case !tc.reject && err != nil:
				t.Fatal(err)
			}
			if added := c.HostKeys().Check(name, s.HostKeys[0]) == nil; added != tc.added {
				t.Fatalf("key added: %v", added)
			}
		})
	}
}

// TestScenarioBadHostKeyMoreTypes: paramiko's bad host key test for the
// host key types TestBadHostKey leaves out (ECDSA P-384 and P-521), with
// the key listed in the local host keys rather than the system ones.
func TestScenarioBadHostKeyMoreTypes(t *testing.T) {
	isolate(t)
	for _, typ := range []string{"ecdsa384", "ecdsa521"} {
		t.Run(typ, func(t *testing.T) {
			s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{typ}})
			other := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{typ}})
			name := HostKeyName("127.0.0.1", port(t, s.Addr))
			c := NewClient()
			if err := c.LoadHostKeys(knownHostsFile(t, knownHostsLine(t, name, other.HostKeys[0]))); err != nil {
				t.Fatal(err)
			}
			c.SetMissingHostKeyPolicy(AutoAddPolicy{})
			err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s))
			c.Close()
			var bad *BadHostKeyError
			if !errors.As(err, &bad) || !errors.Is(err, ErrSSH) || bad.Host != name ||
				!bytes.Equal(bad.Presented.Marshal(), s.HostKeys[0].Marshal()) ||
				len(bad.Expected) != 1 || !bytes.Equal(bad.Expected[0].Marshal(), other.HostKeys[0].Marshal()) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("dsa", func(t *testing.T) {
		t.Skip("DSA (ssh-dss) host keys: amiko negotiates ssh-dss only when listed explicitly, and ConnectOptions has no way to add a legacy host key algorithm")
	})
}

// TestScenarioPassphraseAndPasswordRules: paramiko's
// test_passphrase_kwarg_not_used_for_password_auth and
// test_password_kwarg_not_used_for_passphrase_when_passphrase_kwarg_given
// (the other two rules are TestEncryptedKeyFiles), and the seed's "If a
// private key requires a password to unlock it, and a password is passed
// in, that password will be used to attempt to unlock the key" for a
// discovered key too.
func TestScenarioPassphraseAndPasswordRules(t *testing.T) {
	home := isolate(t)
	// Password authentication off: only a key can log in.
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"},
		Config: []string{"PasswordAuthentication no", "KbdInteractiveAuthentication no"}})
	// Few bcrypt rounds: the key is decrypted (or not) several times,
	// and the KDF is slow under the race detector.
	keyFile := filepath.Join(t.TempDir(), "enc")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-N", "unlock-me", "-f", keyFile)
	authorize(t, s, readPublicKey(t, keyFile+".pub"))

	// The passphrase is never sent as a password.
	pw := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	o := &ConnectOptions{Port: port(t, pw.Addr), Username: pw.User, Passphrase: pw.Password, DisableAgent: true, DisableKeyDiscovery: true}
	err := connectOnce(t, pw, o)
	var ae *AuthenticationError
	if !errors.As(err, &ae) || slices.ContainsFunc(ae.Attempts, func(a AuthAttempt) bool { return a.Method == "password" }) {
		t.Fatalf("passphrase as password: %v", err)
	}

	// With a passphrase given, the password does not unlock the key.
	o = keyFileOpts(t, s, keyFile)
	o.Passphrase, o.Password = "wrong", "unlock-me"
	err = connectOnce(t, s, o)
	if !errors.As(err, &ae) || len(ae.Attempts) == 0 || ae.Attempts[0].Source != keyFile || !strings.Contains(ae.Attempts[0].Err.Error(), "wrong passphrase") {
		t.Fatalf("password with a wrong passphrase: %v", err)
	}

	// A discovered key is unlocked by the password too.
	copyFile(t, keyFile, filepath.Join(home, ".ssh", "id_ed25519"))
	o = &ConnectOptions{Port: port(t, s.Addr), Username: s.User, Password: "unlock-me", DisableAgent: true}
	if err := connectOnce(t, s, o); err != nil {
		t.Fatalf("discovered key unlocked by the password: %v", err)
	}
}

// TestScenarioDisabledPublicKeyAlgorithms: paramiko's
// disabled_algorithms={"pubkeys": [...]} (its SHA-2 pubkey tests): a
// disabled user key algorithm is never signed with. TestDisabledAlgorithms
// covers the transport's categories.
func TestScenarioDisabledPublicKeyAlgorithms(t *testing.T) {
	isolate(t)
	t.Run("ssh-ed25519", func(t *testing.T) {
		s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
		o := keyOpts(t, s)
		o.DisabledAlgorithms.PublicKeys = []string{"ssh-ed25519"}
		err := connectOnce(t, s, o)
		if !errors.As(err, new(*AuthenticationError)) {
			t.Fatalf("an ed25519 key with ssh-ed25519 disabled: %v", err)
		}
	})
	t.Run("rsa-sha2-512", func(t *testing.T) {
		key := filepath.Join(t.TempDir(), "rsa")
		pub := keygen(t, key, "-t", "rsa", "-b", "2048")
		s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: []ssh.PublicKey{pub}})
		o := keyFileOpts(t, s, key)
		o.DisabledAlgorithms.PublicKeys = []string{"rsa-sha2-512"}
		if err := connectOnce(t, s, o); err != nil {
			t.Fatal(err)
		}
		// sshd logs the algorithm of each public key request, maybe a
		// moment after its answer reached us (30 s is a hang guard: the
		// loop ends once the line is there).
		log := s.Log()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(log, "authenticated 1 pkalg") && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			log = s.Log()
		}
		if strings.Contains(log, "pkalg rsa-sha2-512") || !strings.Contains(log, "pkalg rsa-sha2-256") {
			t.Fatalf("rsa-sha2-512 disabled, yet sshd saw:\n%s", grepLines(log, "pkalg"))
		}
	})
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
