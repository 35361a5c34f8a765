package main

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/knownhosts"
)

// The tests never read the machine's own ~/.ssh/config or
// /etc/ssh/ssh_config: the default files are paths that do not exist,
// unless a test points them at its own (setDefaultFiles). They are under
// /nonexistent (the nobody account's home, which Debian never creates),
// not the shared temporary directory, where another user could put a
// file with a Match exec for the tests to run.
func init() {
	dir := filepath.Join("/nonexistent", "amiko-test")
	userConfigFile = filepath.Join(dir, "user_config")
	systemConfigFile = filepath.Join(dir, "ssh_config")
}

// cfgTest is a home directory with an empty ~/.ssh, and a localEnv of
// its own: the local user alice on box.example.org.
type cfgTest struct {
	t    *testing.T
	home string
	env  *localEnv
	vars map[string]string
}

func newCfgTest(t *testing.T) *cfgTest {
	t.Helper()
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	ct := &cfgTest{t: t, home: home, vars: map[string]string{"SHELL": "/bin/sh", "HOME": home, "AMIKO_TEST_VAR": "var-value"}}
	ct.env = &localEnv{home: home, user: "alice", hostname: "box.example.org", uid: 1000, stderr: io.Discard,
		lookupEnv: func(k string) (string, bool) { v, ok := ct.vars[k]; return v, ok }}
	return ct
}

// write writes a file at name (relative to the home directory) with
// the lines given, mode 0600, and returns its path.
func (ct *cfgTest) write(name string, lines ...string) string {
	ct.t.Helper()
	p := filepath.Join(ct.home, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		ct.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		ct.t.Fatal(err)
	}
	return p
}

// load parses the command line and reads the config for its
// destination.
func (ct *cfgTest) load(args ...string) (*invocation, error) {
	ct.t.Helper()
	inv, err := parseCommandLine(args)
	if err != nil {
		return nil, err
	}
	return inv, inv.readConfig(ct.env)
}

// mustLoad is load for a config that must be read without error.
func (ct *cfgTest) mustLoad(args ...string) *config {
	ct.t.Helper()
	inv, err := ct.load(args...)
	if err != nil {
		ct.t.Fatalf("%q: %v", args, err)
	}
	return inv.cfg
}

// config writes the lines as a file and loads it with -F for host,
// after the command-line options extra.
func (ct *cfgTest) config(host string, lines []string, extra ...string) (*config, error) {
	ct.t.Helper()
	p := ct.write("cfg", lines...)
	inv, err := ct.load(append(append([]string{"-F", p}, extra...), host)...)
	if err != nil {
		return nil, err
	}
	return inv.cfg, nil
}

func (ct *cfgTest) mustConfig(host string, lines []string, extra ...string) *config {
	ct.t.Helper()
	c, err := ct.config(host, lines, extra...)
	if err != nil {
		ct.t.Fatalf("config for %s: %v", host, err)
	}
	return c
}

// setDefaultFiles points the default user and system files at the
// test's, for the test.
func setDefaultFiles(t *testing.T, user, system string) {
	oldUser, oldSystem := userConfigFile, systemConfigFile
	userConfigFile, systemConfigFile = user, system
	t.Cleanup(func() { userConfigFile, systemConfigFile = oldUser, oldSystem })
}

func TestConfigSyntax(t *testing.T) {
	ct := newCfgTest(t)
	c := ct.mustConfig("h", []string{
		"# a comment",
		"   ",
		"  hOsTnAmE=real.example   # the name",
		"PORT = 2222",
		"User\t\"bob\"",
		"IdentityFile \"~/my keys/id\"",
		`IdentityFile ~/with\ space\"quote`,
		"IdentityFile '~/single quoted'",
		"UserKnownHostsFile ~/kh1 \"/tmp/k h2\"\r",
		"LocalForward 8080 localhost:80",
		"ProxyCommand nc -X connect \"%h\" %p # kept: a command is taken as written",
		"StrictHostKeyChecking=accept-new",
		"ConnectTimeout 1m30s",
	})
	want := map[string]any{
		"HostName": "real.example", "Port": 2222, "User": "bob",
		"IdentityFiles":         []string{"~/my keys/id", `~/with space"quote`, "~/single quoted"},
		"UserKnownHostsFiles":   []string{"~/kh1", "/tmp/k h2"},
		"LocalForwards":         []string{"8080:localhost:80"},
		"ProxyCommand":          `nc -X connect "%h" %p # kept: a command is taken as written`,
		"StrictHostKeyChecking": "accept-new",
	}
	checkFields(t, c, want)
	if c.ConnectTimeout.Seconds() != 90 {
		t.Errorf("ConnectTimeout %v", c.ConnectTimeout)
	}
}

// checkFields compares config fields by name.
func checkFields(t *testing.T, c *config, want map[string]any) {
	t.Helper()
	for field, w := range want {
		got := fieldOf(c, field)
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", w) {
			t.Errorf("%s = %#v, want %#v", field, got, w)
		}
	}
}

func fieldOf(c *config, name string) any {
	switch name {
	case "HostName":
		return c.HostName
	case "Port":
		return c.Port
	case "User":
		return c.User
	case "IdentityFiles":
		return c.IdentityFiles
	case "UserKnownHostsFiles":
		return c.UserKnownHostsFiles
	case "LocalForwards":
		return c.LocalForwards
	case "RemoteForwards":
		return c.RemoteForwards
	case "DynamicForwards":
		return c.DynamicForwards
	case "ProxyCommand":
		return c.ProxyCommand
	case "ProxyJump":
		return c.ProxyJump
	case "StrictHostKeyChecking":
		return c.StrictHostKeyChecking
	case "RequestTTY":
		return c.RequestTTY
	}
	panic("no field " + name)
}

func TestConfigFirstValueWins(t *testing.T) {
	ct := newCfgTest(t)
	lines := []string{
		"Host web",
		"  Port 1001",
		"  User webuser",
		"  RequestTTY yes",
		"Host *",
		"  Port 1002",
		"  User everyone",
		"  HostName fallback.example",
		"  StrictHostKeyChecking yes",
		"  LogLevel ERROR",
	}
	c := ct.mustConfig("web", lines)
	checkFields(t, c, map[string]any{"Port": 1001, "User": "webuser", "HostName": "fallback.example", "StrictHostKeyChecking": "yes"})
	c = ct.mustConfig("other", lines)
	checkFields(t, c, map[string]any{"Port": 1002, "User": "everyone"})
	// The command line comes first: -p, -l, -o, and the destination's
	// own user and port; flags OpenSSH assigns (-T, -v) too.
	c = ct.mustConfig("cli@web", lines, "-p", "9", "-o", "StrictHostKeyChecking=no", "-T", "-v")
	checkFields(t, c, map[string]any{"Port": 9, "User": "cli", "StrictHostKeyChecking": "no", "RequestTTY": "no"})
	if c.LogLevel != logDebug1 {
		t.Errorf("LogLevel %d: the file's ERROR overrode -v", c.LogLevel)
	}
	c = ct.mustConfig("ssh://web:7", lines, "-o", "User=o")
	checkFields(t, c, map[string]any{"Port": 7, "User": "o"})
}

func TestConfigAccumulates(t *testing.T) {
	ct := newCfgTest(t)
	lines := []string{
		"Host web",
		"  IdentityFile ~/.ssh/web",
		"  LocalForward 1 a:1",
		"  RemoteForward 2 b:2",
		"  DynamicForward 3",
		"Host *",
		"  IdentityFile ~/.ssh/all",
		"  IdentityFile ~/.ssh/web", // again: kept once, as OpenSSH does
		"  LocalForward 4 c:4",
		"  LocalForward 1 a:1",
		"  DynamicForward 127.0.0.1:5",
	}
	c := ct.mustConfig("web", lines, "-i", "~/cli", "-L", "9:z:9")
	checkFields(t, c, map[string]any{
		"IdentityFiles":   []string{"~/cli", "~/.ssh/web", "~/.ssh/all"},
		"LocalForwards":   []string{"9:z:9", "1:a:1", "4:c:4"},
		"RemoteForwards":  []string{"2:b:2"},
		"DynamicForwards": []string{"3", "127.0.0.1:5"},
	})
	// ClearAllForwardings clears every forwarding, the command line's too.
	c = ct.mustConfig("web", append([]string{"ClearAllForwardings yes"}, lines...), "-L", "9:z:9")
	if len(c.LocalForwards)+len(c.RemoteForwards)+len(c.DynamicForwards) != 0 {
		t.Errorf("ClearAllForwardings left %q %q %q", c.LocalForwards, c.RemoteForwards, c.DynamicForwards)
	}
}

func TestConfigHostPatterns(t *testing.T) {
	ct := newCfgTest(t)
	lines := []string{
		"Host *.internal !bastion.internal",
		"  User internal",
		"Host db? web-*",
		"  User numbered",
		"Host Upper",
		"  User upper",
		"Host !nomatch",
		"  User negated-only", // a negated pattern alone never matches
		"Host *",
		"  User default",
	}
	for host, user := range map[string]string{
		"a.internal": "internal", "bastion.internal": "default", "db1": "numbered", "db12": "default",
		"web-": "numbered", "web-x.y": "numbered", "Upper": "upper", "upper": "default", "nomatch": "default",
	} {
		if c := ct.mustConfig(host, lines); c.User != user {
			t.Errorf("%s: user %q, want %q", host, c.User, user)
		}
	}
	if _, err := ct.config("h", []string{`Host ""`}); !errors.Is(err, errBadOption) {
		t.Errorf("an empty Host pattern: %v", err)
	}
}

func TestMatchPattern(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"abc", "abc", true}, {"abc", "a*", true}, {"abc", "*c", true}, {"abc", "a?c", true},
		{"abc", "*", true}, {"", "*", true}, {"", "", true}, {"abc", "ab", false}, {"abc", "a?", false},
		{"a.b.c", "*.c", true}, {"aXbXc", "a*b*c", true}, {"abcabd", "*abd", true}, {"ab", "a**b", true},
	} {
		if got := knownhosts.MatchPattern(c.s, c.p); got != c.want {
			t.Errorf("MatchPattern(%q, %q) = %v", c.s, c.p, got)
		}
	}
	for _, c := range []struct {
		s, p  string
		lower bool
		want  int
	}{
		{"web1", "db*,web*", false, 1}, {"web1", "db*,!web*", false, -1}, {"web1", "!db*", false, 0},
		{"web1", "WEB*", true, 1}, {"web1", "WEB*", false, 0}, {"x", "", false, 0},
	} {
		if got := matchPatternList(c.s, c.p, c.lower); got != c.want {
			t.Errorf("matchPatternList(%q, %q, %v) = %d, want %d", c.s, c.p, c.lower, got, c.want)
		}
	}
}

func TestConfigMatch(t *testing.T) {
	ct := newCfgTest(t)
	marker := filepath.Join(ct.home, "exec-ran")
	lines := []string{
		"Host alias",
		"  HostName Real.Example",
		"Match host real.example", // the HostName known so far, lowercased
		"  User by-hostname",
		"Match originalhost ALIAS", // case-insensitive
		"  Port 1001",
		"Match user by-hostname host !nothere,*.example",
		"  ConnectTimeout 5",
		"Match localuser al*",
		"  IdentityFile ~/local-alice",
		"Match !localuser alice",
		"  IdentityFile ~/local-other",
		"Match host nothere exec \"touch " + marker + "\"", // not run: host failed first
		"  IdentityFile ~/never",
		"Match exec \"test %h = Real.Example -a %n = alias -a %p = 1001 -a %r = by-hostname -a %u = alice -a %d = " + ct.home + "\"",
		"  IdentityFile ~/exec-tokens",
		"Match exec false",
		"  IdentityFile ~/exec-false",
		"Match !exec false user x all", // "all" may follow one criterion at most
	}
	if _, err := ct.config("alias", lines); err == nil || !strings.Contains(err.Error(), "line 19") {
		t.Errorf("all after two criteria: %v", err)
	}
	lines = lines[:len(lines)-1]
	c := ct.mustConfig("alias", lines)
	checkFields(t, c, map[string]any{"User": "by-hostname", "Port": 1001,
		"IdentityFiles": []string{"~/local-alice", "~/exec-tokens"}})
	if c.ConnectTimeout.Seconds() != 5 {
		t.Errorf("Match user ... host: ConnectTimeout %v", c.ConnectTimeout)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("Match exec ran although an earlier criterion failed")
	}
	for _, bad := range [][]string{
		{"Match"}, {"Match host"}, {"Match nosuch x"}, {"Match all host x"}, {"Match exec \"kill -9 $$\""},
		{"Match exec \"%z\""}, {"Match localnetwork 10.0.0.0/8"},
	} {
		_, err := ct.config("h", bad)
		if !errors.Is(err, errBadOption) || !strings.Contains(err.Error(), "cfg line 1") {
			t.Errorf("%q: %v, want an error at cfg line 1", bad, err)
		}
	}
}

func TestConfigMatchFinal(t *testing.T) {
	ct := newCfgTest(t)
	lines := []string{
		"Host alias",
		"  HostName real.example",
		"  IdentityFile ~/k",
		"Host real.example", // only in the final pass, where Host sees the HostName
		"  User from-final-pass",
		"Match canonical",
		"  ConnectTimeout 7",
		"Match !final",
		"  Port 1001",
		"Match final host real.example",
		"  Port 2002",
		"  RequestTTY force",
		"Match final all",
		"  StrictHostKeyChecking yes",
	}
	c := ct.mustConfig("alias", lines)
	checkFields(t, c, map[string]any{"User": "from-final-pass", "Port": 1001, "RequestTTY": "force",
		"StrictHostKeyChecking": "yes", "HostName": "real.example", "IdentityFiles": []string{"~/k"}})
	if c.ConnectTimeout.Seconds() != 7 {
		t.Errorf("Match canonical did not hold in the final pass: ConnectTimeout %v", c.ConnectTimeout)
	}
	// Without Match final (or !final, which asks for the pass too in
	// OpenSSH 9.2) there is one pass: Host real.example never applies,
	// and canonical never holds.
	c = ct.mustConfig("alias", lines[:7])
	if c.User != "" || c.ConnectTimeout != 0 {
		t.Errorf("one pass: user %q, ConnectTimeout %v", c.User, c.ConnectTimeout)
	}
}

func TestConfigInclude(t *testing.T) {
	ct := newCfgTest(t)
	ct.write(".ssh/conf.d/20-b", "Host *", "  IdentityFile ~/b")
	ct.write(".ssh/conf.d/10-a", "Host *", "  IdentityFile ~/a", "Match all", "  Port 10")
	ct.write(".ssh/conf.d/.hidden", "Host *", "  IdentityFile ~/hidden")
	ct.write(".ssh/conf.d/sub/30-c", "Host *", "  IdentityFile ~/nested")
	ct.write(".ssh/inner", "Include conf.d/sub/*", "Match host nomatch", "  IdentityFile ~/never")
	main := ct.write("main",
		"Host web",
		"  Include conf.d/*",             // relative to ~/.ssh; sub/ is a directory: read as empty
		"  IdentityFile ~/after-include", // the block goes on after the include's own Match
		"Host other",
		"  Include ~/.ssh/inner",
		"  IdentityFile ~/other",
		"Host web other",
		"  Include nothing-matches-*",
		"  Include \""+ct.home+"/.ssh/inner\"",
	)
	c := ct.mustLoad("-F", main, "web")
	checkFields(t, c, map[string]any{"Port": 10,
		"IdentityFiles": []string{"~/a", "~/b", "~/after-include", "~/nested"}})
	c = ct.mustLoad("-F", main, "other")
	checkFields(t, c, map[string]any{"Port": 0, "IdentityFiles": []string{"~/nested", "~/other"}})
	// An Include in a block that does not apply is read for its errors.
	ct.write(".ssh/broken", "NoSuchOption x")
	_, err := ct.load("-F", ct.write("main2", "Host nomatch", "  Include broken"), "web")
	if err == nil || !strings.Contains(err.Error(), "broken line 1: Bad configuration option: NoSuchOption") {
		t.Errorf("an inactive include's bad option: %v", err)
	}

	// The system file's relative includes are beside it; ~ is the
	// user's files' only.
	setDefaultFiles(t, filepath.Join(ct.home, ".ssh/config"), ct.write("etc/ssh_config", "Include sys.d/*.conf"))
	ct.write("etc/sys.d/a.conf", "Host *", "  User from-system-include")
	ct.write(".ssh/config", "Host *", "  Port 22022")
	c = ct.mustLoad("web")
	checkFields(t, c, map[string]any{"User": "from-system-include", "Port": 22022})
	ct.write("etc/ssh_config", "Include ~/x")
	if _, err := ct.load("web"); !errors.Is(err, errBadOption) {
		t.Errorf("~ in the system file's Include: %v", err)
	}
}

func TestConfigIncludeDepth(t *testing.T) {
	ct := newCfgTest(t)
	// depth 0 includes 1, ..., up to depth n: 16 may be included, 17 not.
	chain := func(n int) string {
		for i := 0; i < n; i++ {
			ct.write(fmt.Sprintf(".ssh/d%d", i), fmt.Sprintf("Include d%d", i+1))
		}
		ct.write(fmt.Sprintf(".ssh/d%d", n), "Port 16")
		return filepath.Join(ct.home, ".ssh/d0")
	}
	if c := ct.mustLoad("-F", chain(16), "h"); c.Port != 16 {
		t.Errorf("16 deep: port %d", c.Port)
	}
	os.Remove(filepath.Join(ct.home, ".ssh/d16"))
	_, err := ct.load("-F", chain(17), "h")
	if err == nil || !strings.Contains(err.Error(), "too many recursive configuration includes") {
		t.Errorf("17 deep: %v", err)
	}
	loop := ct.write(".ssh/loop", "Include loop")
	if _, err := ct.load("-F", loop, "h"); err == nil || !strings.Contains(err.Error(), "too many recursive") {
		t.Errorf("a file including itself: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	ct := newCfgTest(t)
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"Host *", "", "Foo bar"}, "cfg line 3: Bad configuration option: Foo"},
		{[]string{"Host nomatch", "  Port abc"}, `cfg line 2: Port "abc": want a port number`},
		{[]string{"Port 1 2"}, "extra arguments at end of line"},
		{[]string{"User \"bob"}, "cfg line 1: User: invalid quotes"},
		{[]string{"Host *", "Port"}, `cfg line 2: no argument after keyword "Port"`},
		{[]string{"IgnoreUnknown Foo", "Host *", "Bar x"}, "cfg line 3: Bad configuration option: Bar"},
		{[]string{"UserKnownHostsFile none ~/x"}, `"none" must appear alone`},
		{[]string{"LocalForward 8080"}, "cfg line 1: LocalForward"},
		{[]string{"HostName %z"}, "unknown token %z"},
	} {
		_, err := ct.config("h", c.lines)
		if !errors.Is(err, errBadOption) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %q", c.lines, err, c.want)
		}
	}
	// IgnoreUnknown before the keyword (patterns, any case) ignores it.
	c := ct.mustConfig("h", []string{"IgnoreUnknown usekey*,Foo", "Foo bar", "FOO=baz", "UseKeyring x"})
	if !slices.ContainsFunc(c.notes, func(n string) bool { return strings.Contains(n, `ignored unknown option "Foo"`) }) {
		t.Errorf("no note for the ignored option: %q", c.notes)
	}
	// A missing -F file is an error; missing default files are not.
	if _, err := ct.load("-F", filepath.Join(ct.home, "nope"), "h"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing -F file: %v", err)
	}
	setDefaultFiles(t, "~/.ssh/config", filepath.Join(ct.home, "no-system-file"))
	ct.mustLoad("h")
	ct.mustLoad("-F", "none", "h")
}

func TestConfigPermissions(t *testing.T) {
	ct := newCfgTest(t)
	user := ct.write(".ssh/config", "Port 1")
	setDefaultFiles(t, "~/.ssh/config", filepath.Join(ct.home, "no-system-file"))
	if err := os.Chmod(user, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.load("h"); err == nil || !strings.Contains(err.Error(), "bad owner or permissions") {
		t.Errorf("a world-writable ~/.ssh/config: %v", err)
	}
	// -F's file is not checked, but what it includes is, as in OpenSSH.
	if c := ct.mustLoad("-F", user, "h"); c.Port != 1 {
		t.Errorf("-F: port %d", c.Port)
	}
	main := ct.write("main", "Include "+user)
	if _, err := ct.load("-F", main, "h"); err == nil || !strings.Contains(err.Error(), "bad owner or permissions") {
		t.Errorf("a world-writable included file: %v", err)
	}
}

func TestConfigUnimplemented(t *testing.T) {
	ct := newCfgTest(t)
	// A real user's config: what amiko does not implement is noted, and
	// the connection is configured as without it.
	c := ct.mustConfig("h", []string{
		"Host *",
		"  ControlMaster auto",
		"  ControlPath ~/.ssh/cm-%C",
		"  ControlPersist 10m",
		"  AddKeysToAgent yes",
		"  UseKeychain yes",
		"  XAuthLocation /opt/X11/bin/xauth",
		"  VisualHostKey yes",
		"  ServerAliveInterval 30",
		"  Tunnel no",
		"  CanonicalizeHostname yes",
		"  CanonicalDomains example.com",
	})
	if c.ServerAliveInterval.Seconds() != 30 {
		t.Errorf("ServerAliveInterval %v", c.ServerAliveInterval)
	}
	for _, want := range []string{"cfg line 2: ignoring ControlMaster auto", "cfg line 5: ignoring AddKeysToAgent yes", "ignoring VisualHostKey yes"} {
		if !slices.ContainsFunc(c.notes, func(n string) bool { return strings.Contains(n, want) }) {
			t.Errorf("no note %q in %q", want, c.notes)
		}
	}
	// Refused where ignoring would change what the connection does;
	// the first value is the one that counts.
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"Host h", "  Tunnel yes"}, "cfg line 2: Tunnel \"yes\": not supported by amiko"},
		{[]string{"RevokedHostKeys ~/.ssh/revoked"}, "cfg line 1: RevokedHostKeys"},
		{[]string{"KnownHostsCommand /bin/hosts %H"}, "cfg line 1: KnownHostsCommand"},
		{[]string{"BindAddress 10.0.0.1"}, "cfg line 1: BindAddress"},
		{[]string{"CanonicalizeHostname always", "CanonicalizeFallbackLocal no"}, "cfg line 2: CanonicalizeFallbackLocal"},
		{[]string{"GSSAPIKeyExchange yes", "GSSAPIKexAlgorithms gss-curve25519-sha256-"}, "cfg line 2: GSSAPIKexAlgorithms"},
	} {
		_, err := ct.config("h", c.lines)
		if !errors.Is(err, errBadOption) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.lines, err, c.want)
		}
	}
	for _, ok := range [][]string{
		{"Host h", "  Tunnel no", "Host *", "  Tunnel yes"}, {"Host other", "  BindAddress 10.0.0.1"},
		{"CanonicalizeFallbackLocal no"}, {"GSSAPIKexAlgorithms gss-curve25519-sha256-"}, {"KnownHostsCommand none"},
	} {
		if _, err := ct.config("h", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	// On the command line they are refused, as before.
	if _, err := ct.load("-o", "ControlMaster=auto", "h"); err == nil || !strings.Contains(err.Error(), "not supported by amiko") {
		t.Errorf("-o ControlMaster: %v", err)
	}
}

func TestConfigProxyOptions(t *testing.T) {
	ct := newCfgTest(t)
	// ProxyJump and ProxyCommand exclude each other, the first wins; a
	// jump counts as ProxyCommand none, "ProxyJump none" does not.
	for _, c := range []struct {
		lines         []string
		jump, command string
		extra         []string
	}{
		{[]string{"ProxyJump j1,u@j2:22", "ProxyCommand nc %h %p"}, "j1,u@j2:22", "none", nil},
		{[]string{"ProxyCommand nc %h %p", "ProxyJump j1"}, "", "nc %h %p", nil},
		{[]string{"ProxyJump none", "ProxyCommand nc %h %p"}, "none", "nc %h %p", nil},
		{[]string{"ProxyJump j # a comment"}, "j", "none", nil},
		{[]string{"ProxyCommand nc %h %p"}, "cli", "none", []string{"-J", "cli"}},
		{[]string{"ProxyJump file"}, "", "cli %h", []string{"-o", "ProxyCommand=cli %h"}},
	} {
		cfg := ct.mustConfig("h", c.lines, c.extra...)
		if cfg.ProxyJump != c.jump || cfg.ProxyCommand != c.command {
			t.Errorf("%q %q: ProxyJump %q, ProxyCommand %q; want %q, %q", c.extra, c.lines, cfg.ProxyJump, cfg.ProxyCommand, c.jump, c.command)
		}
	}
}

func TestConfigSessionOptions(t *testing.T) {
	ct := newCfgTest(t)
	inv, err := ct.load("-F", ct.write("cfg", "SessionType none", "StdinNull yes", "EscapeChar ^A"), "h")
	if err != nil || !inv.noCommand || !inv.stdinNull || escapeChar(inv.cfg) != 1 {
		t.Errorf("SessionType none, StdinNull yes, EscapeChar ^A: %+v, %v", inv, err)
	}
	if inv, err := ct.load("-e", "none", "-F", ct.write("esc", "EscapeChar %"), "h"); err != nil || escapeChar(inv.cfg) != escapeNone {
		t.Errorf("-e none before the file's EscapeChar: %v", err)
	}
	p := ct.write("rc", "RemoteCommand tmux new -A -s %r@%h", "RequestTTY yes", "User bob")
	inv, err = ct.load("-F", p, "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.route(); err != nil || !slices.Equal(inv.command, []string{"tmux new -A -s bob@h"}) {
		t.Errorf("RemoteCommand: command %q, %v", inv.command, err)
	}
	if _, err := ct.load("-F", p, "h", "ls"); err == nil {
		t.Error("RemoteCommand with a command on the command line: no error")
	}
	if inv, _ := ct.load("-F", p, "-N", "h"); inv == nil || inv.command != nil {
		t.Error("RemoteCommand with -N")
	} else if inv.route(); inv.command != nil {
		t.Errorf("-N: command %q", inv.command)
	}
}

func TestTokens(t *testing.T) {
	ct := newCfgTest(t)
	tk := ct.env.tokens("real.example", "alias", 2222, "bob", "")
	sum := sha1.Sum([]byte("box.example.org" + "real.example" + "2222" + "bob"))
	got, err := tk.expand("%C %d %h %i %k %L %l %n %p %r %u %% ${AMIKO_TEST_VAR}", pathTokens, true)
	want := hex.EncodeToString(sum[:]) + " " + ct.home + " real.example 1000 real.example box box.example.org alias 2222 bob alice % var-value"
	if err != nil || got != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	if got, _ := ct.env.tokens("h", "a", 22, "u", "key-alias").expand("%k", pathTokens, false); got != "key-alias" {
		t.Errorf("%%k with HostKeyAlias: %q", got)
	}
	if got, _ := tk.expandPath("~/.ssh/id_%h"); got != ct.home+"/.ssh/id_real.example" {
		t.Errorf("expandPath: %q", got)
	}
	if got, _ := tk.expand("${X}", proxyTokens, false); got != "${X}" {
		t.Errorf("${} where it is not expanded: %q", got)
	}
	for _, bad := range []string{"%", "a%", "%z", "%d", "${NOT_SET}", "${unterminated", "${}"} {
		allowed := pathTokens
		if bad == "%d" {
			allowed = proxyTokens
		}
		if got, err := tk.expand(bad, allowed, true); err == nil {
			t.Errorf("%q expanded to %q", bad, got)
		}
	}
}

func TestConfigKeywordSplitting(t *testing.T) {
	for _, c := range []struct{ line, keyword, rest string }{
		{"Port 22", "Port", "22"}, {"Port=22", "Port", "22"}, {"Port = 22", "Port", "22"},
		{"  Port\t=\t22  ", "Port", "22"}, {"Port==22", "Port", "=22"}, {"Port", "Port", ""},
		{"", "", ""}, {"# c", "#", "c"}, {"Port 22\r", "Port", "22"},
	} {
		k, r := splitKeyword(c.line)
		if k != c.keyword || r != c.rest {
			t.Errorf("%q: %q %q, want %q %q", c.line, k, r, c.keyword, c.rest)
		}
	}
	for _, c := range []struct {
		in   string
		want []string
	}{
		{`a b`, []string{"a", "b"}}, {`"a b" c`, []string{"a b", "c"}}, {`'a b'`, []string{"a b"}},
		{`a\ b`, []string{"a b"}}, {`"a\"b"`, []string{`a"b`}}, {`a\\b`, []string{`a\b`}}, {`a\nb`, []string{`a\nb`}},
		{`a #c`, []string{"a"}}, {`a#b`, []string{"a#b"}}, {`"#" x`, []string{"#", "x"}}, {`""`, []string{""}},
		{`x"y z"w`, []string{"xy zw"}}, {"", nil}, {"#", nil},
	} {
		got, err := splitArgv(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("splitArgv(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`"a`, `'a`, `a "b`} {
		if got, err := splitArgv(bad); err == nil {
			t.Errorf("splitArgv(%q) = %q", bad, got)
		}
	}
}

// FuzzConfig reads arbitrary config text for a host: no panic, every
// error names the file and line it comes from, and reading twice gives
// the same result. Include reads nothing and Match exec runs nothing
// (sandboxed): a fuzzer must not read the machine's files or run
// commands.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"Host *\n  Port 22\n",
		"Host web !bastion *.x\n  HostName %h.example\n  User=bob\nMatch host *.example user bob\n  Port 2\n",
		"Match final originalhost web\n  IdentityFile \"~/a b\"\nMatch !canonical all\n  LocalForward 1 a:1\n",
		"IgnoreUnknown Foo*\nFooBar x\nControlMaster auto\nTunnel yes\n",
		"ProxyJump a,u@b:2 # c\nProxyCommand nc %h %p\nDynamicForward [::1]:1080\n",
		"UserKnownHostsFile none\nStrictHostKeyChecking accept-new\nConnectTimeout 1m\n",
		"User \"unterminated\nPort 1 2\n\tKexAlgorithms +a,b\nHost \"\"\n",
		"Match localuser a*,!b host x\n  RemoteCommand tmux\nSessionType none\nEscapeChar ^A\n",
	} {
		f.Add(seed, "web")
	}
	dir := f.TempDir() // one file, rewritten: the inputs run one at a time
	path := filepath.Join(dir, "cfg")
	f.Fuzz(func(t *testing.T, text, host string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		env := &localEnv{home: dir, user: "u", hostname: "h", stderr: io.Discard, sandboxed: true,
			lookupEnv: func(string) (string, bool) { return "", false }}
		files := []configFile{{path: path, user: true, required: true}}
		read := func() (*config, error) {
			c := newConfig()
			return c, readConfig(c, host, files, env)
		}
		c1, err1 := read()
		c2, err2 := read()
		if fmt.Sprint(err1) != fmt.Sprint(err2) || err1 == nil && fmt.Sprintf("%+v", c1) != fmt.Sprintf("%+v", c2) {
			t.Fatalf("two reads differ: %v / %v", err1, err2)
		}
		if err1 != nil {
			if !errors.Is(err1, errBadOption) || !strings.Contains(err1.Error(), path+" line ") && !strings.Contains(err1.Error(), "HostName") {
				t.Fatalf("error without its place: %v", err1)
			}
			return
		}
		if c1.SessionType != "default" && c1.SessionType != "none" && c1.SessionType != "subsystem" {
			t.Fatalf("SessionType %q", c1.SessionType)
		}
		for _, spec := range c1.LocalForwards {
			if _, err := parseForward(spec); err != nil {
				t.Fatalf("accepted LocalForward %q: %v", spec, err)
			}
		}
	})
}
