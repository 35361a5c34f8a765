package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// configFile writes lines as a config file in the test's home and
// returns its path.
func (e *testEnv) configFile(name string, lines ...string) string {
	e.t.Helper()
	p := filepath.Join(e.home, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// hostBlock is a Host block that reaches s: 127.0.0.1, its port and
// user, and the test's known_hosts, with key as the only key.
func (e *testEnv) hostBlock(alias string, s *sshtest.Server, key string) []string {
	_, port, _ := net.SplitHostPort(s.Addr)
	return []string{
		"Host " + alias,
		"  HostName 127.0.0.1",
		"  Port " + port,
		"  User " + s.User,
		"  IdentityFile " + key,
		"  IdentitiesOnly yes",
	}
}

// common are the settings every test host shares: the test's
// known_hosts, no prompts.
func (e *testEnv) common() []string {
	return []string{
		"Host *",
		"  UserKnownHostsFile " + e.knownHosts,
		"  GlobalKnownHostsFile none",
		"  BatchMode yes",
	}
}

// TestConfigHostAlias: an alias whose HostName, Port, User and
// IdentityFile come from ~/.ssh/config alone, read as the default user
// file, and the system file after it.
func TestConfigHostAlias(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	// The key lives where IdentityFile's tokens say: ~/.ssh/id_<alias>.
	keyDir := filepath.Join(e.home, ".ssh")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(e.keyFile, filepath.Join(keyDir, "id_myserver")); err != nil {
		t.Fatal(err)
	}
	e.configFile(".ssh/config", append(e.hostBlock("myserver", s, "~/.ssh/id_%n"), e.common()...)...)
	system := e.configFile("etc/ssh_config", "Host *", "  Port 1", "  User nobody-from-system")
	setDefaultFiles(t, "~/.ssh/config", system)
	r := e.run("", "myserver", "echo", "via-alias", "$USER")
	if r.code != 0 || r.stdout != "via-alias "+s.User+"\n" {
		t.Fatalf("amiko ssh myserver: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// -F none reads neither file.
	if inv, err := parseSSHArgs([]string{"-F", "none", "myserver"}); err != nil || inv.cfg.HostName != "" || inv.cfg.Port != 0 {
		t.Errorf("-F none: %+v, %v", inv.cfg, err)
	}
}

// TestConfigProxyJump: the destination's ProxyJump names an alias
// whose HostName, Port, User and IdentityFile come from the file, as
// OpenSSH configures each hop for its own host: the jump host and the
// destination each accept one key only, a different one.
func TestConfigProxyJump(t *testing.T) {
	e := newTestEnv(t)
	jumpKey := filepath.Join(e.home, "id_jump")
	jumpSigner := writeNewKey(t, jumpKey)
	jump := sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{jumpSigner.PublicKey()}})
	dest := e.server(sshtest.Options{})
	e.trust(jump, dest)
	checkNoLeak(t)
	_, destPort, _ := net.SplitHostPort(dest.Addr)
	lines := append(e.hostBlock("dest", dest, e.keyFile), "  ProxyJump bastion")
	lines = append(lines, e.hostBlock("bastion", jump, jumpKey)...)
	cfg := e.configFile("config", append(lines, e.common()...)...)

	r := e.run("", "-F", cfg, "dest", "echo", "via-bastion")
	if r.code != 0 || r.stdout != "via-bastion\n" {
		t.Fatalf("ProxyJump bastion: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(jump.Log(), "target 127.0.0.1 port "+destPort) {
		t.Error("the jump host's log shows no direct-tcpip to the destination")
	}
	// -J on the command line, naming the alias: configured the same.
	r = e.run("", "-F", cfg, "-J", "bastion", "dest", "echo", "via-J")
	if r.code != 0 || r.stdout != "via-J\n" {
		t.Errorf("-J bastion: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// The jump host refusing (its key is the destination's here) is
	// named in the one failure line.
	lines = append(e.hostBlock("dest", dest, e.keyFile), "  ProxyJump bastion")
	lines = append(lines, e.hostBlock("bastion", jump, e.keyFile)...)
	cfg = e.configFile("config2", append(lines, e.common()...)...)
	r = e.run("", "-F", cfg, "dest", "true")
	wantOneFailureLine(t, r, "jump host bastion: "+jump.User+"@127.0.0.1: Permission denied")
}

// TestConfigCommandLineFirst: -o and the flags come before the file.
func TestConfigCommandLineFirst(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closedPort, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	_, port, _ := net.SplitHostPort(s.Addr)
	cfg := e.configFile("config", append([]string{
		"Host srv",
		"  HostName 127.0.0.1",
		"  Port " + closedPort,
		"  User nosuchuser",
		"  IdentityFile " + e.keyFile,
		"  RemoteCommand echo from-RemoteCommand on %h",
	}, e.common()...)...)
	r := e.run("", "-F", cfg, "srv")
	if r.code != 255 || !strings.Contains(r.stderr, "port "+closedPort+": Connection refused") {
		t.Fatalf("the file's port: %d %q", r.code, r.stderr)
	}
	r = e.run("", "-F", cfg, "-o", "Port="+port, "-l", s.User, "srv")
	if r.code != 0 || r.stdout != "from-RemoteCommand on 127.0.0.1\n" {
		t.Errorf("-o Port, -l: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestConfigRealUserConfig: a user's config full of what OpenSSH does
// and amiko does not (multiplexing, the agent and keychain, X11, sent
// environment) still connects, with a -v line for each; an option that
// cannot be ignored ends the run with one line naming file and line.
func TestConfigRealUserConfig(t *testing.T) {
	e := newTestEnv(t)
	s := e.server(sshtest.Options{})
	e.trust(s)
	checkNoLeak(t)
	lines := append(e.hostBlock("work", s, e.keyFile),
		"  ForwardX11 yes",
		"Host *",
		"  ControlMaster auto",
		"  ControlPath ~/.ssh/cm-%r@%h:%p",
		"  ControlPersist 10m",
		"  AddKeysToAgent yes",
		"  IgnoreUnknown UseKeychain",
		"  UseKeychain yes",
		"  VisualHostKey yes",
		"  ServerAliveInterval 60",
		"  HashKnownHosts yes",
	)
	cfg := e.configFile("config", append(lines, e.common()...)...)
	r := e.run("", "-F", cfg, "-v", "work", "echo", "still-works")
	if r.code != 0 || r.stdout != "still-works\n" {
		t.Fatalf("%d %q %q", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"ignoring ControlMaster auto", "ignoring AddKeysToAgent yes", "ignoring VisualHostKey yes"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v lacks %q", want)
		}
	}
	cfg = e.configFile("config2", append(lines, "  Tunnel point-to-point")...)
	r = e.run("", "-F", cfg, "work", "true")
	wantOneFailureLine(t, r, cfg+" line 18: Tunnel \"point-to-point\": not supported by amiko")
}
