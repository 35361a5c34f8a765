package main

import (
	"bufio"
	"bytes"

	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestConfigAgainstOpenSSH reads the same config files as OpenSSH's
// "ssh -G" (which prints the configuration it would use, without
// connecting) and compares the options both have: the evaluation
// (Host, Match with exec and final, Include, first value wins,
// ProxyJump against ProxyCommand) must agree with OpenSSH's own.
func TestConfigAgainstOpenSSH(t *testing.T) {
	sshtest.Require(t, "openssh")
	ct := newCfgTest(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	ct.env.user = me.Username // ssh -G's default remote user and localuser
	ct.write("inc/10-web.conf",
		"Host web*",
		"  ServerAliveInterval 21",
		"Match all",
		"  ConnectTimeout 23", // applies within the including block only
	)
	ct.write("inc/20-none.conf", "Host nomatch", "  Port 9")
	ct.write("cli") // ssh skips an -i file that does not exist (and its ~ is the passwd entry's)
	cfg := ct.write("cfg",
		"Host web* !web-admin",
		"  User webuser",
		"  Port 2201",
		"  Include "+ct.home+"/inc/*.conf",
		"Host web-admin",
		"  User admin",
		"  LogLevel ERROR",
		"Match originalhost db host *.example.com",
		"  User dbuser",
		"Host db",
		"  HostName DB.example.com",
		"  ProxyJump bastion,u@jump2:2022",
		"  ProxyCommand nc %h %p",
		"Host bastion",
		"  ProxyJump none",
		"  ProxyCommand nc %h %p",
		"Host alias-*",
		"  HostName %h.real.example",
		"Match exec \"test %h = db.example.com -a %n = db\"",
		"  ConnectTimeout 17",
		"Match final host *.real.example",
		"  Port 3306",
		"Match !localuser nobody user "+me.Username,
		"  ServerAliveInterval 11",
		"Host *.real.example",
		"  User final-pass",
		"Host *",
		"  IdentityFile ~/.ssh/id_%h",
		"  IdentityFile \"~/.ssh/with space\"",
		"  StrictHostKeyChecking accept-new",
		"  RequestTTY force",
		"  BatchMode yes",
		"  HostKeyAlias key-%h",
		"  IdentitiesOnly yes",
	)
	syntax := ct.write("syntax",
		"IgnoreUnknown Foo*",
		"FooBar x",
		"Host=q1 \"q 2\"",
		"  Port=4000",
		"Host q*",
		"  User = quser",
		"Match host q1,!q2 user quser",
		"  ConnectTimeout 31",
		"Match !host q1 originalhost Q*",
		"  ConnectTimeout 32",
		"Match canonical",
		"  ServerAliveInterval 41",
		"Match final",
		"  IdentityFile ~/final_%h",
		"Host *",
		"  ServerAliveInterval 42",
	)
	for _, args := range [][]string{
		{"-F", syntax, "q1"}, {"-F", syntax, "q2"}, {"-F", syntax, "Qx"}, {"-F", syntax, "-o", "ServerAliveInterval=none", "x"},
		{"web1"}, {"web-admin"}, {"WEB1"}, {"db"}, {"bastion"}, {"alias-x"}, {"other"},
		{"-o", "User=cli", "-p", "99", "web1"}, {"-J", "j1", "db"}, {"-l", "nobody", "-T", "other"},
		{"-i", ct.home + "/cli", "-o", "ConnectTimeout=none", "db"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if args[0] != "-F" {
				args = append([]string{"-F", cfg}, args...)
			}
			want := sshG(t, ct, args)
			got := amikoG(t, ct, args)
			// Debian's ssh makes BatchMode's ServerAliveInterval 300;
			// OpenSSH's does not.
			if want["batchmode"] == "yes" && want["serveraliveinterval"] == "300" && got["serveraliveinterval"] == "0" {
				delete(want, "serveraliveinterval")
			}
			for k, w := range want {
				if g, ok := got[k]; ok && g != w {
					t.Errorf("%s: amiko %q, ssh -G %q", k, g, w)
				}
			}
		})
	}
}

// sshG runs ssh -G and returns the options amikoG compares.
func sshG(t *testing.T, ct *cfgTest, args []string) map[string]string {
	t.Helper()
	cmd := exec.Command("ssh", append([]string{"-G"}, args...)...)
	cmd.Env = []string{"HOME=" + ct.home, "SHELL=/bin/sh", "PATH=" + os.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh -G %q: %v %s", args, err, stderr.Bytes())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		if k == "identityfile" {
			v = expandTilde(v, ct.home) // ssh expands -i's, not the file's
			if got[k] != "" {
				v = got[k] + "," + v
			}
		}
		got[k] = v
	}
	return got
}

// amikoG is amiko's configuration in ssh -G's words, for the options
// both have.
func amikoG(t *testing.T, ct *cfgTest, args []string) map[string]string {
	t.Helper()
	inv, err := ct.load(args...)
	if err != nil {
		t.Fatal(err)
	}
	c := inv.cfg
	g := map[string]string{
		"port":                  strconv.Itoa(portOr22(c.Port)),
		"batchmode":             yesNo(c.BatchMode),
		"identitiesonly":        yesNo(c.IdentitiesOnly),
		"stricthostkeychecking": map[string]string{"yes": "true", "no": "false"}[c.StrictHostKeyChecking],
		"requesttty":            map[string]string{"yes": "true", "no": "false"}[c.RequestTTY],
		"connecttimeout":        "none",
		"serveraliveinterval":   strconv.Itoa(int(c.ServerAliveInterval.Seconds())),
		"loglevel":              []string{"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG1", "DEBUG2", "DEBUG3"}[c.LogLevel],
	}
	if g["stricthostkeychecking"] == "" {
		g["stricthostkeychecking"] = c.StrictHostKeyChecking
	}
	if g["requesttty"] == "" {
		g["requesttty"] = c.RequestTTY
	}
	if c.ConnectTimeout > 0 {
		g["connecttimeout"] = strconv.Itoa(int(c.ConnectTimeout.Seconds()))
	}
	// ssh -G prints these as written, before their tokens are expanded.
	for i, f := range c.IdentityFiles {
		if i > 0 {
			g["identityfile"] += ","
		}
		g["identityfile"] += expandTilde(f, ct.home)
	}
	if c.ProxyJump != "" && c.ProxyJump != "none" {
		g["proxyjump"] = c.ProxyJump
	}
	if c.ProxyCommand != "" && c.ProxyCommand != "none" {
		g["proxycommand"] = c.ProxyCommand
	}
	if c.HostKeyAlias != "" {
		g["hostkeyalias"] = c.HostKeyAlias
	}
	legs, err := inv.route()
	if err != nil {
		t.Fatal(err)
	}
	dest := legs[len(legs)-1].hop
	g["hostname"], g["user"] = dest.Host, dest.User
	return g
}

func yesNo(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] }
