package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// withoutIdentity removes "-i file" from args.
func withoutIdentity(args []string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-i" {
			return append(append([]string(nil), args[:i]...), args[i+2:]...)
		}
	}
	return args
}

func TestAgent(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	t.Setenv("SSH_AUTH_SOCK", sshtest.StartAgent(t, e.keyFile))
	checkNoLeak(t)
	args := withoutIdentity(e.args(s))
	fp := ssh.FingerprintSHA256(e.key.PublicKey())
	// The agent's key logs in; -A forwards the agent to the command.
	r := e.run("", append(args, "-A", "127.0.0.1", "ssh-add -l")...)
	if r.code != 0 || !strings.Contains(r.stdout, fp) {
		t.Errorf("-A ssh-add -l: got %d %q, want the key %s", r.code, r.stdout, fp)
	}
	// Without -A the command finds no agent (ssh-add exits 2).
	r = e.run("", append(args, "127.0.0.1", "ssh-add -l")...)
	if r.code != 2 {
		t.Errorf("ssh-add -l without -A: exit %d, want 2", r.code)
	}
	// IdentitiesOnly=yes: the agent's keys are not offered.
	r = e.run("", append(args, "-o", "IdentitiesOnly=yes", "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "Permission denied")
}

func TestChangedKeyDisablesForwarding(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	if err := os.WriteFile(e.knownHosts, otherHostKeys(t, s), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", sshtest.StartAgent(t, e.keyFile))
	echo := startEcho(t)
	checkNoLeak(t)
	e.listening = func(spec string, _ net.Addr) { t.Errorf("forwarding %s listened for a changed host key", spec) }
	args := append(withoutIdentity(e.args(s)), "-o", "StrictHostKeyChecking=no", "-A", "-L", "0:"+echo, "127.0.0.1", "ssh-add -l")
	r := e.run("", args...)
	if r.code != 2 {
		t.Errorf("ssh-add -l through -A with a changed host key: exit %d, want 2 (no agent)", r.code)
	}
	for _, want := range []string{"Agent forwarding is disabled", "Port forwarding is disabled"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

func TestEncryptedKey(t *testing.T) {
	e := newTestEnv(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("sesame"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(e.home, "encrypted")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	s := sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	e.trust(s)
	checkNoLeak(t)
	e.keyFile = keyFile
	// No passphrase and no prompt: the key is skipped, and said so.
	r := e.run("", e.args(s, "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "encrypted")
	e.env["AMIKO_PASSPHRASE"] = "sesame"
	if r := e.run("", e.args(s, "127.0.0.1", "true")...); r.code != 0 {
		t.Errorf("AMIKO_PASSPHRASE: exit %d", r.code)
	}
	// A prompt on the terminal unlocks it too.
	e.env["AMIKO_PASSPHRASE"] = ""
	ask := &fakePrompter{answers: []string{"sesame"}}
	e.ask = ask
	r = e.run("", dropOption(e.args(s, "127.0.0.1", "true"), "BatchMode=yes")...)
	if got := ask.asked(); r.code != 0 || len(got) != 1 || !strings.Contains(got[0], "Enter passphrase for key '"+keyFile+"'") {
		t.Errorf("passphrase prompt: exit %d, prompts %q", r.code, got)
	}
}

func TestKeyDiscoveryWithoutIdentityFile(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	if err := os.MkdirAll(filepath.Join(e.home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(e.keyFile, filepath.Join(e.home, ".ssh", "id_ed25519")); err != nil {
		t.Fatal(err)
	}
	if r := e.run("", withoutIdentity(e.args(s, "127.0.0.1", "true"))...); r.code != 0 {
		t.Errorf("~/.ssh/id_ed25519 without -i: exit %d", r.code)
	}
	// PubkeyAuthentication=no: no key at all.
	r := e.run("", withoutIdentity(e.args(s, "-o", "PubkeyAuthentication=no", "127.0.0.1", "true"))...)
	wantOneFailureLine(t, r, "No authentication method was available")
}

func TestAlgorithmsNegotiated(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	r := e.run("", e.args(s, "-v", "-C", "-c", "aes256-ctr", "-m", "hmac-sha2-512",
		"-o", "KexAlgorithms=ecdh-sha2-nistp256", "-o", "HostKeyAlgorithms=ecdsa-sha2-nistp256",
		"127.0.0.1", "echo", "ok")...)
	if r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("exit %d %q", r.code, r.stdout)
	}
	for _, want := range []string{"kex=ecdh-sha2-nistp256", "hostkey=ecdsa-sha2-nistp256", "cipher_out=aes256-ctr",
		"mac_out=hmac-sha2-512", "compression_out=zlib@openssh.com"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v output lacks %s", want)
		}
	}
	// PubkeyAcceptedAlgorithms without the key's type: it is not offered.
	r = e.run("", e.args(s, "-o", "PubkeyAcceptedAlgorithms=-ssh-ed25519", "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "Permission denied")
	// A name amiko does not implement is one clear line.
	r = e.run("", e.args(s, "-c", "+rot13", "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "rot13")
	// A legacy cipher named on the command line is the explicit opt-in.
	legacy := e.server(sshtest.Options{Config: []string{"Ciphers aes128-cbc"}})
	e.trust(legacy)
	r = e.run("", e.args(legacy, "-v", "-c", "aes128-cbc", "127.0.0.1", "echo", "ok")...)
	if r.code != 0 || r.stdout != "ok\n" || !strings.Contains(r.stderr, "cipher_out=aes128-cbc") {
		t.Fatalf("legacy opt-in: exit %d %q", r.code, r.stdout)
	}
	// Without it, no cipher in common: one line.
	r = e.run("", e.args(legacy, "127.0.0.1", "true")...)
	wantOneFailureLine(t, r, "cipher")
}

func TestBannerTimeout(t *testing.T) {
	e := newTestEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A server that accepts and never says a word.
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	defer func() {
		l.Close()
		for c := range accepted {
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	r := e.run("", "-p", port, "-o", "BannerTimeout=1", "-o", "BatchMode=yes", "127.0.0.1", "true")
	wantOneFailureLine(t, r, "timed out")
}

// TestKerberos: -o GSSAPIAuthentication=yes -o GSSAPIKeyExchange=yes
// -o GSSAPIDelegateCredentials=yes logs in with the ticket kinit wrote
// (gssapi-keyex after a GSS-API key exchange), and the TGT reaches the
// server; without a ticket, GSS-API is skipped and the key works.
func TestKerberos(t *testing.T) {
	e := newTestEnv(t)
	kdc := sshtest.StartKDC(t)
	s := e.server(sshtest.Options{Kerberos: kdc})
	e.trust(s)
	_, port, _ := net.SplitHostPort(s.Addr)
	ccache := kdc.Kinit(t, true)
	t.Setenv("KRB5_CONFIG", kdc.Config)
	t.Setenv("KRB5CCNAME", ccache)
	gss := []string{"-p", port, "-l", s.User, "-v", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + e.knownHosts,
		"-o", "GSSAPIAuthentication=yes", "-o", "GSSAPIKeyExchange=yes", "-o", "GSSAPIDelegateCredentials=yes",
		"-o", "PubkeyAuthentication=no", "localhost", "klist"}
	r := e.run("", gss...)
	if r.code != 0 || !strings.Contains(r.stdout, "krbtgt/AMIKO.TEST@AMIKO.TEST") || !strings.Contains(r.stderr, `method="gssapi-keyex (host@localhost)"`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("KRB5CCNAME", filepath.Join(t.TempDir(), "no-ticket"))
	r = e.run("", e.args(s, "-o", "GSSAPIAuthentication=yes", "127.0.0.1", "echo", "ok")...)
	if r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("without a ticket: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestConnectOptionsMapping(t *testing.T) {
	inv, err := parseSSHArgs([]string{"-C", "-i", "~/k-%r", "-o", "ConnectTimeout=7", "-o", "BannerTimeout=3",
		"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2", "-o", "GSSAPIKeyExchange=yes",
		"-o", "GSSAPIServerIdentity=kdc.example", "-o", "IdentitiesOnly=yes", "u@h"})
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{getenv: func(k string) string { return map[string]string{"AMIKO_PASSPHRASE": "pp"}[k] }}
	// route expands the tokens in IdentityFile, for the destination's
	// host, port and user.
	inv.env.home = "/home/u"
	if _, err := inv.route(); err != nil {
		t.Fatal(err)
	}
	o := r.connectOptions(inv.cfg, hop{Host: "h"}, "u", "/home/u")
	if o.Port != 22 || o.Username != "u" || o.Timeout != 7*time.Second || o.BannerTimeout != 3*time.Second ||
		o.KeepaliveInterval != 5*time.Second || o.KeepaliveCountMax != 2 || !o.Compress || !o.GSSKex || o.GSSAuth ||
		!o.DisableGSSDelegation || o.GSSHost != "kdc.example" || o.Passphrase != "pp" || !o.DisableAgent ||
		!o.DisableKeyDiscovery || len(o.KeyFilenames) != 1 || o.KeyFilenames[0] != "/home/u/k-u" {
		t.Errorf("options %+v", o)
	}
	// The defaults: OpenSSH's, which differ from paramiko's on GSS-API
	// delegation (off) and keepalives (none).
	inv, _ = parseSSHArgs([]string{"h"})
	o = r.connectOptions(inv.cfg, hop{Host: "h", Port: 2222}, "u", "/home/u")
	if o.Port != 2222 || o.Timeout != 0 || o.BannerTimeout != 0 || o.KeepaliveInterval != 0 || o.Compress ||
		!o.DisableGSSDelegation || o.DisableAgent || o.DisableKeyDiscovery || len(o.KeyFilenames) != 0 {
		t.Errorf("default options %+v", o)
	}
}

// TestLegacyRSAOptIn: against an sshd that takes only ssh-rsa (SHA-1)
// signatures, an RSA key works once PubkeyAcceptedAlgorithms adds
// ssh-rsa, as with OpenSSH's ssh, and not before.
func TestLegacyRSAOptIn(t *testing.T) {
	e := newTestEnv(t)
	rsaFile := filepath.Join(e.home, "id_legacy")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "rsa", "-N", "", "-f", rsaFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	b, err := os.ReadFile(rsaFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	s := e.server(sshtest.Options{AuthorizedKeys: []ssh.PublicKey{pub}, Config: []string{"PubkeyAcceptedAlgorithms ssh-rsa"}})
	e.trust(s)
	args := append(withoutIdentity(e.args(s)), "-i", rsaFile)
	if r := e.run("", append(args, "127.0.0.1", "echo ok")...); r.code != 255 || r.stdout != "" {
		t.Errorf("by default: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r := e.run("", append(args, "-o", "PubkeyAcceptedAlgorithms=+ssh-rsa", "127.0.0.1", "echo ok")...)
	if r.code != 0 || r.stdout != "ok\n" {
		t.Errorf("with +ssh-rsa: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
