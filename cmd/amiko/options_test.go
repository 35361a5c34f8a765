package main

import (
	"errors"
	"github.com/amiko-ssh/amiko/internal/transport"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOptionSyntax(t *testing.T) {
	for _, line := range []string{"Port=2222", "port 2222", "PORT = 2222", "Port\t2222", "  Port=\"2222\"  "} {
		c := newConfig()
		if err := c.apply(line); err != nil || c.Port != 2222 {
			t.Errorf("-o %q: port %d, err %v", line, c.Port, err)
		}
	}
	for _, line := range []string{"Port", "Port=", "=22", "NoSuchOption=1", "Port=0", "Port=65536", "Port=x",
		"BatchMode=maybe", "ConnectTimeout=5x", "StrictHostKeyChecking=sometimes", "ServerAliveCountMax=-1",
		"Ciphers=aes128-ctr, aes256-ctr", "LocalForward=80", "DynamicForward=h:x", "ProxyJump=user@", "UserKnownHostsFile=\"a b"} {
		if err := newConfig().apply(line); !errors.Is(err, errBadOption) {
			t.Errorf("-o %q: err %v, want a bad option", line, err)
		}
	}
	err := newConfig().apply("ControlMaster=auto")
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("an OpenSSH option amiko lacks: %v", err)
	}
}

func TestOptionValues(t *testing.T) {
	c := newConfig()
	for _, line := range []string{
		"User=alice", "IdentityFile=~/a", "identityfile ~/b", "IdentitiesOnly=yes",
		"StrictHostKeyChecking=off", "UserKnownHostsFile=~/kh \"/tmp/with space\"",
		"GlobalKnownHostsFile=/dev/null", "HostKeyAlias=alias", "HashKnownHosts=yes",
		"ConnectTimeout=1m30s", "BannerTimeout=0", "BatchMode=true", "PasswordAuthentication=no",
		"PubkeyAuthentication=host-bound", "KexAlgorithms=-ecdh-*", "Compression=yes",
		"GSSAPIAuthentication=yes", "GSSAPIKeyExchange=yes", "GSSAPIDelegateCredentials=yes",
		"GSSAPIServerIdentity=host.example", "ServerAliveInterval=15", "ServerAliveCountMax=5",
		"ProxyCommand=nc \"%h\" %p", "ForwardAgent=yes", "LocalForward=8080 localhost:80",
		"RemoteForward [::1]:9090 [::1]:90", "DynamicForward=1080", "DynamicForward [::1]:1081",
		"RequestTTY=force", "LogLevel=DEBUG2",
	} {
		if err := c.apply(line); err != nil {
			t.Fatalf("-o %q: %v", line, err)
		}
	}
	want := map[string]any{
		"User": "alice", "IdentityFiles": []string{"~/a", "~/b"}, "IdentitiesOnly": true,
		"StrictHostKeyChecking": "no", "UserKnownHostsFiles": []string{"~/kh", "/tmp/with space"},
		"GlobalKnownHostsFiles": []string{"/dev/null"}, "HostKeyAlias": "alias", "HashKnownHosts": true,
		"ConnectTimeout": 90 * time.Second, "BannerTimeout": time.Duration(-1), "BatchMode": true,
		"PasswordAuth": false, "PubkeyAuth": true, "KexAlgorithms": "-ecdh-*", "Compression": true,
		"GSSAPIAuth": true, "GSSAPIKeyExchange": true, "GSSAPIDelegate": true,
		"GSSAPIServerIdentity": "host.example", "ServerAliveInterval": 15 * time.Second,
		"ServerAliveCountMax": 5, "ProxyCommand": "nc \"%h\" %p", "ForwardAgent": true,
		"LocalForwards": []string{"8080:localhost:80"}, "RemoteForwards": []string{"[::1]:9090:[::1]:90"},
		"DynamicForwards": []string{"1080", "[::1]:1081"}, "RequestTTY": "force", "LogLevel": logDebug2,
	}
	v := reflect.ValueOf(c).Elem()
	for field, w := range want {
		if got := v.FieldByName(field).Interface(); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", field, got, w)
		}
	}
}

func TestFirstValueWins(t *testing.T) {
	inv, err := parseSSHArgs([]string{"-o", "Port=1", "-p", "2", "-o", "port=3", "-l", "bob", "alice@host", "-o", "User=carol"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.cfg.Port != 1 || inv.cfg.User != "bob" {
		t.Errorf("port %d, user %q; want the first values, 1 and bob", inv.cfg.Port, inv.cfg.User)
	}
	// The destination's user and port count where they stand.
	inv, _ = parseSSHArgs([]string{"ssh://alice@host:2200", "-l", "bob", "-p", "22"})
	if inv.cfg.Port != 2200 || inv.cfg.User != "alice" {
		t.Errorf("port %d, user %q; want the destination's, 2200 and alice", inv.cfg.Port, inv.cfg.User)
	}
	// Flags that OpenSSH assigns directly override -o.
	inv, _ = parseSSHArgs([]string{"-o", "Ciphers=aes128-ctr", "-c", "aes256-ctr", "-o", "Compression=no", "-C", "h"})
	if inv.cfg.Ciphers != "aes256-ctr" || !inv.cfg.Compression {
		t.Errorf("ciphers %q, compression %v", inv.cfg.Ciphers, inv.cfg.Compression)
	}
}

func TestParseSSHArgs(t *testing.T) {
	inv, err := parseSSHArgs([]string{"-vvtp2222", "-i", "k1", "-ik2", "-oBatchMode=yes", "-A", "-L", "80:h:8080",
		"host", "-N", "-R", "0:localhost:22", "-J", "j1,u@j2:2022"})
	if err != nil {
		t.Fatal(err)
	}
	c := inv.cfg
	if c.LogLevel != logDebug2 || c.RequestTTY != "yes" || c.Port != 2222 || !c.BatchMode || !c.ForwardAgent ||
		!slices.Equal(c.IdentityFiles, []string{"k1", "k2"}) || !inv.noCommand || inv.dest.Host != "host" ||
		!slices.Equal(c.LocalForwards, []string{"80:h:8080"}) || !slices.Equal(c.RemoteForwards, []string{"0:localhost:22"}) ||
		c.ProxyJump != "j1,u@j2:2022" || len(inv.command) != 0 {
		t.Errorf("parsed %+v, config %+v", inv, c)
	}
	// Options end at the command; its words are kept for the remote.
	inv, _ = parseSSHArgs([]string{"host", "ls", "-l", "/tmp"})
	if !slices.Equal(inv.command, []string{"ls", "-l", "/tmp"}) {
		t.Errorf("command %q", inv.command)
	}
	inv, _ = parseSSHArgs([]string{"-tt", "-T", "--", "host", "-v"})
	if inv.cfg.RequestTTY != "no" || !slices.Equal(inv.command, []string{"-v"}) || inv.cfg.LogLevel != logInfo {
		t.Errorf("after --: %+v %q", inv.cfg, inv.command)
	}
	inv, _ = parseSSHArgs([]string{"-tt", "h"})
	if inv.cfg.RequestTTY != "force" {
		t.Errorf("-tt: RequestTTY %q", inv.cfg.RequestTTY)
	}
	for _, args := range [][]string{
		{}, {"-p"}, {"-Z", "h"}, {"-D", "1:2:3", "h"}, {"-w", "0", "h"}, {"-N", "h", "ls"}, {"-s", "h"},
		{"-J", "a", "-J", "b", "h"}, {"-o", "ProxyCommand=nc %h %p", "-J", "a", "h"}, {"-W", "nohost", "h"},
		{"-F", "/nonexistent/amiko-test/config", "h"}, {"-e", "ab", "h"}, {"-o", "Host=a", "h"},
		{"-o", "Port=x", "h"}, {"user@"}, {"ssh://h/path"}, {"-L", "1:2", "h"},
	} {
		if _, err := parseSSHArgs(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestParseDestination(t *testing.T) {
	for _, c := range []struct {
		in   string
		want hop
	}{
		{"host", hop{Host: "host"}},
		{"user@host", hop{User: "user", Host: "host"}},
		{"us@er@host", hop{User: "us@er", Host: "host"}},
		{"[::1]", hop{Host: "::1"}},
		{"ssh://host", hop{Host: "host"}},
		{"ssh://user@host:2222", hop{User: "user", Host: "host", Port: 2222}},
		{"ssh://user@[::1]:22/", hop{User: "user", Host: "::1", Port: 22}},
		{"ssh://user;fingerprint=SHA256-x@host", hop{User: "user", Host: "host"}},
	} {
		got, err := parseDestination(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: got %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "@host", "user@", "ssh://", "ssh://host:0", "ssh://host:x",
		"ssh://host/path", "ssh://host?q", "-oProxyCommand=x", "host;rm", "ho st"} {
		if h, err := parseDestination(bad); err == nil {
			t.Errorf("%q: parsed as %+v", bad, h)
		}
	}
}

func TestParseJumps(t *testing.T) {
	got, err := parseJumps("a,u@b:2022,[::1]:23,ssh://v@c:24")
	want := []hop{{Host: "a"}, {User: "u", Host: "b", Port: 2022}, {Host: "::1", Port: 23}, {User: "v", Host: "c", Port: 24}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"", "a,,b", "a:0", "[::1", "u@"} {
		if _, err := parseJumps(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseForward(t *testing.T) {
	for _, c := range []struct {
		in   string
		want forwardSpec
	}{
		{"8080:localhost:80", forwardSpec{Port: 8080, Host: "localhost", HostPort: 80}},
		{"127.0.0.1:0:h:22", forwardSpec{Bind: "127.0.0.1", BindSet: true, Host: "h", HostPort: 22}},
		{"*:1:h:2", forwardSpec{Bind: "*", BindSet: true, Port: 1, Host: "h", HostPort: 2}},
		{":1:h:2", forwardSpec{Bind: "", BindSet: true, Port: 1, Host: "h", HostPort: 2}},
		{"[::1]:1:[fe80::1]:2", forwardSpec{Bind: "::1", BindSet: true, Port: 1, Host: "fe80::1", HostPort: 2}},
		{"::1/1/fe80::1/2", forwardSpec{Bind: "::1", BindSet: true, Port: 1, Host: "fe80::1", HostPort: 2}},
	} {
		got, err := parseForward(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: got %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "80", "80:h", "x:h:80", "80:h:0", "80::80", "1:2:3:4:5", "[::1:1:h:2", "70000:h:1"} {
		if f, err := parseForward(bad); err == nil {
			t.Errorf("%q: parsed as %+v", bad, f)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "30": 30 * time.Second, "30s": 30 * time.Second, "1m30s": 90 * time.Second,
		"2h": 2 * time.Hour, "1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour, "none": 0, "10M": 10 * time.Minute,
	} {
		if got, err := parseTime(in); err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "s", "1x", "-1", "1.5", "9999999999"} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestAlgorithmLists(t *testing.T) {
	c := newConfig()
	c.Ciphers = "aes128-ctr,aes256-gcm@openssh.com"
	c.MACs = "-hmac-sha2-512*"
	c.KexAlgorithms = "^curve25519-sha256"
	c.PubkeyAlgorithms = "-rsa-sha2-256*"
	c.HostKeyAlgorithms = "+ssh-rsa"
	p, err := preferredAlgorithms(c)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Ciphers, []string{"aes128-ctr", "aes256-gcm@openssh.com"}) {
		t.Errorf("Ciphers %q", p.Ciphers)
	}
	if !slices.Equal(p.MACs, []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"}) {
		t.Errorf("MACs %q", p.MACs)
	}
	if p.Kex[0] != "curve25519-sha256" || len(p.Kex) != len(transport.DefaultKexAlgorithms) {
		t.Errorf("Kex %q", p.Kex)
	}
	if p.HostKeys[len(p.HostKeys)-1] != "ssh-rsa" {
		t.Errorf("HostKeys %q: the legacy opt-in is missing", p.HostKeys)
	}
	if slices.Contains(p.PublicKeys, "rsa-sha2-256") || !slices.Contains(p.PublicKeys, "rsa-sha2-512") {
		t.Errorf("PublicKeys %q", p.PublicKeys)
	}
	for name, set := range map[string]func(*config){
		"no-such-cipher": func(c *config) { c.Ciphers = "no-such-cipher" },
		"-hmac-*":        func(c *config) { c.MACs = "-hmac-*" },
		"+rot13":         func(c *config) { c.Ciphers = "+rot13" },
	} {
		c := newConfig()
		set(c)
		if _, err := preferredAlgorithms(c); !errors.Is(err, errBadOption) {
			t.Errorf("%s: err %v, want a bad option", name, err)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := printable("ok\x1b[2J\r\nnext\xff"); got != "ok?[2J??next?" {
		t.Errorf("got %q", got)
	}
}

// TestCommandLineUsersChecked: a user name from the command line that
// could become a command where %r is expanded in a shell (CVE-2023-51385)
// is refused, as OpenSSH 9.6 refuses it, wherever it is given; ordinary
// names pass.
func TestCommandLineUsersChecked(t *testing.T) {
	for _, args := range [][]string{
		{"$(touch pwned)@h"},
		{"ssh://%24%28id%29@h"},
		{"-l", "a;b", "h"},
		{"-l", "-oProxyCommand=x", "h"},
		{"-o", "User=a`id`", "h"},
		{"-J", "x|y@j", "h"},
		{"-J", "ok@j,ssh://a%26b@k", "h"},
		{"a -b@h"},
		{"a\\@h"},
		{"a\x01b@h"},
	} {
		if _, err := parseCommandLine(args); err == nil || !strings.Contains(err.Error(), "invalid characters") {
			t.Errorf("%q: err = %v, want the user refused", args, err)
		}
	}
	for _, args := range [][]string{{"alice@h"}, {"a.b-c_d@h"}, {"-l", "dom\\user", "h"}, {"-J", "bob@j", "h"}} {
		if _, err := parseCommandLine(args); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	for _, host := range []string{"h(x)", "h{x}", "h\x01"} {
		if _, err := parseCommandLine([]string{host}); err == nil {
			t.Errorf("host %q accepted", host)
		}
	}
}

// TestLoggerLevels: at ssh's default level the library's warnings show
// (as OpenSSH's error() lines do), its information only with -v, and
// nothing with -q.
func TestLoggerLevels(t *testing.T) {
	for _, tc := range []struct {
		level int
		want  string
	}{
		{logQuiet, ""},
		{logInfo, "warning: ssh: server tried X11 forwarding\n"},
		{logVerbose, "info: connected\nwarning: ssh: server tried X11 forwarding\n"},
	} {
		var b strings.Builder
		l := newLogger(&b, tc.level)
		l.Info("connected")
		l.Warn("ssh: server tried X11 forwarding")
		if b.String() != tc.want {
			t.Errorf("level %d: %q, want %q", tc.level, b.String(), tc.want)
		}
	}
}
