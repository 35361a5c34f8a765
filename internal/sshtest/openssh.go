package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

const sshdPath = "/usr/sbin/sshd" // sshd refuses to run by a relative path

// StartOpenSSH starts OpenSSH's sshd for t: one "sshd -i" per connection,
// logging at DEBUG3 into Log. It needs root, and logs users in as the
// amikotest account. See Options for how o.Config is read.
func StartOpenSSH(t testing.TB, o Options) *Server {
	t.Helper()
	Require(t, "openssh")
	Require(t, "root")
	types, err := hostKeyTypes(o.HostKeyTypes)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := testAccount()
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, "openssh")
	if err := acct.shareDir(s.Dir); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	keys, err := writeHostKeys(s.Dir, types)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKeys = publicKeys(keys)

	// sshd reads the file as the user, so the user must own it.
	authPath := filepath.Join(s.Dir, "authorized_keys")
	if err := os.WriteFile(authPath, s.authorizedKeys(o.AuthorizedKeys), 0o600); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	if err := acct.giveTo(authPath, 0o600); err != nil {
		t.Fatalf("sshtest: %v", err)
	}

	// The privilege separation directory; a fresh machine that never ran
	// the system's sshd lacks it.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("sshtest: %v", err)
	}

	var algs *openSSHAlgorithms
	if o.AllAlgorithms {
		if algs, err = allOpenSSHAlgorithms(); err != nil {
			t.Fatal(err)
		}
	}
	userConfig := o.Config
	if o.HostCertificates {
		ca, lines, err := certifyHostKeys(s.Dir, keys)
		if err != nil {
			t.Fatal(err)
		}
		s.HostCA = ca
		userConfig = append(slices.Clone(o.Config), lines...)
	}
	if o.Kerberos != nil {
		userConfig = o.Kerberos.sshdConfig(userConfig)
	}
	if o.X11 {
		Require(t, "xauth")
		lines, err := x11Config(s, acct)
		if err != nil {
			t.Fatalf("sshtest: %v", err)
		}
		userConfig = append(slices.Clone(userConfig), lines...)
	}
	config := sshdConfig(keys, authPath, userConfig, algs)
	cfgPath := filepath.Join(s.Dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	// Check the configuration now: a bad Options.Config line would
	// otherwise show up only as a connection closed during the handshake.
	if out, err := exec.Command(sshdPath, "-t", "-f", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("sshtest: sshd rejects its configuration: %v\n%s\n%s", err, out, config)
	}

	env := os.Environ()
	if o.Kerberos != nil {
		env = append(env, o.Kerberos.AcceptorEnv()...)
	}
	env = append(env, o.Env...)
	serveInetd(t, s, func() *exec.Cmd {
		cmd := exec.Command(sshdPath, "-i", "-e", "-f", cfgPath)
		cmd.Env = env
		cmd.Dir = s.Dir
		cmd.SysProcAttr = serverProcAttr()
		return cmd
	})
	return s
}

// sshdConfig writes the configuration for one server. user holds the
// lines of Options.Config.
//
// sshd keeps the first value it reads for most keywords, so the user's
// lines come first and the harness leaves out its own line for any
// keyword the user set; a Match block must end the file, so the user's
// lines from the first Match on come last.
func sshdConfig(keys []hostKey, authorizedKeys string, user []string, algs *openSSHAlgorithms) string {
	head, match := splitAtMatch(user)
	set := map[string]bool{}
	for _, l := range head {
		if f := strings.Fields(l); len(f) > 0 {
			set[strings.ToLower(f[0])] = true
		}
	}

	var b strings.Builder
	b.WriteString("# Written by sshtest.\n")
	for _, l := range head {
		b.WriteString(l + "\n")
	}
	add := func(keyword, value string) {
		if !set[strings.ToLower(keyword)] {
			fmt.Fprintf(&b, "%s %s\n", keyword, value)
		}
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "HostKey %s\n", quote(k.path))
	}
	add("AuthorizedKeysFile", quote(authorizedKeys))
	add("UsePAM", "no")
	add("StrictModes", "no")
	add("LogLevel", "DEBUG3")
	add("PidFile", "none")
	add("PasswordAuthentication", "yes")
	add("KbdInteractiveAuthentication", "yes")
	add("Subsystem", "sftp internal-sftp")
	// Keep interactive shells' output to what the test's commands print.
	add("PrintMotd", "no")
	add("PrintLastLog", "no")
	if algs != nil {
		add("KexAlgorithms", strings.Join(algs.kex, ","))
		add("Ciphers", strings.Join(algs.ciphers, ","))
		add("MACs", strings.Join(algs.macs, ","))
		add("HostKeyAlgorithms", strings.Join(algs.hostKeys, ","))
		add("PubkeyAcceptedAlgorithms", strings.Join(algs.pubkeys, ","))
	} else if slices.ContainsFunc(keys, func(k hostKey) bool { return k.typ == "dsa" }) {
		// Asked for a DSA host key: sshd loads it but offers ssh-dss only
		// when told to.
		add("HostKeyAlgorithms", "+ssh-dss")
	}
	for _, l := range match {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// splitAtMatch splits config lines before the first Match line.
func splitAtMatch(lines []string) (head, match []string) {
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "Match") {
			return lines[:i], lines[i:]
		}
	}
	return lines, nil
}

// quote quotes a path for sshd_config, which splits arguments at spaces.
func quote(path string) string {
	return `"` + path + `"`
}

// openSSHAlgorithms holds everything this OpenSSH implements, as listed
// by `ssh -Q` (sshd is built from the same sources as ssh and shares its
// tables; sshd itself has no -Q).
type openSSHAlgorithms struct {
	kex, ciphers, macs, hostKeys, pubkeys []string
}

var allOpenSSHAlgorithms = sync.OnceValues(func() (*openSSHAlgorithms, error) {
	q := func(what string) ([]string, error) {
		out, err := exec.Command("ssh", "-Q", what).Output()
		if err != nil {
			return nil, fmt.Errorf("sshtest: ssh -Q %s: %w", what, err)
		}
		return strings.Fields(string(out)), nil
	}
	var a openSSHAlgorithms
	var err error
	for _, f := range []struct {
		dst  *[]string
		what string
	}{
		{&a.kex, "kex"},
		{&a.ciphers, "cipher"},
		{&a.macs, "mac"},
		{&a.hostKeys, "HostKeyAlgorithms"},
		{&a.pubkeys, "PubkeyAcceptedAlgorithms"},
	} {
		if *f.dst, err = q(f.what); err != nil {
			return nil, err
		}
	}
	return &a, nil
})
