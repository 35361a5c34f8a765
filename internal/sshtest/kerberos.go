package sshtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A throwaway MIT Kerberos realm on loopback, for the GSS-API tests
// (RFC 4462): sshd accepts with the realm's keytab, clients kinit into a
// temporary credential cache. Nothing here reads or writes /etc/krb5.conf,
// the machine's KDC or the process environment: every program is pointed
// at the realm's own files by the environment it is started with.

// KDCRealm is the realm every KDC started here serves. Each KDC has its
// own files and port, so realms of parallel tests do not meet.
const KDCRealm = "AMIKO.TEST"

const (
	krb5kdcPath     = "/usr/sbin/krb5kdc"
	kdb5UtilPath    = "/usr/sbin/kdb5_util"
	kadminLocalPath = "/usr/sbin/kadmin.local"
)

func init() {
	requirements["kerberos"] = requirement{
		check: allOf(file(krb5kdcPath), file(kdb5UtilPath), file(kadminLocalPath),
			command("kinit"), command("klist")),
		install: "apt-get install krb5-kdc krb5-admin-server krb5-user",
	}
	requirements["python3-gssapi"] = requirement{
		check:   pythonModule("gssapi"),
		install: "apt-get install python3-gssapi",
	}
}

// KDC is a running MIT Kerberos KDC for one test, started by StartKDC.
type KDC struct {
	// Realm is the realm's name, KDCRealm.
	Realm string
	// Addr is the KDC's address, "127.0.0.1:port". It serves TCP only:
	// UDP could not be had on the same ephemeral port, so Config sets
	// udp_preference_limit = 1 and every client goes to TCP first.
	Addr string
	// Config is the krb5.conf clients and acceptors use (KRB5_CONFIG):
	// default_realm, the realm's kdc, [domain_realm] mapping localhost and
	// 127.0.0.1 to the realm, forwardable = true, and
	// dns_canonicalize_hostname = false and rdns = false, so that every
	// GSS-API implementation names the server principal host/<name> from
	// the name it was given.
	Config string
	// Keytab holds the keys of host/localhost and host/127.0.0.1 (and of
	// whatever AddToKeytab adds), for sshd (KRB5_KTNAME).
	Keytab string
	// UserPrincipal is "amikotest@AMIKO.TEST". Kerberos' default
	// auth_to_local rule maps it to the local account amikotest, which
	// sshd logs it into.
	UserPrincipal string
	// Password is UserPrincipal's password, fresh for each KDC.
	Password string
	// Dir is the realm's temporary directory: configuration, database,
	// keytab, log and the acceptors' replay cache.
	Dir string

	// Pid is krb5kdc's process id (its -P file is written after it
	// listens, so a reader right after StartKDC may find it empty).
	Pid int

	profile string // kdc.conf, KRB5_KDC_PROFILE for krb5kdc and kadmin.local
	logPath string
}

// StartKDC starts a throwaway MIT Kerberos realm on 127.0.0.1 for t: a
// temporary krb5.conf and kdc.conf, a database made by kdb5_util with a
// random master password, the principals of KDC's fields, and krb5kdc on an
// ephemeral port. The KDC is killed in t's cleanup, and its directory
// removed. It sets nothing in the process environment: pass Env or
// AcceptorEnv to the programs that use the realm.
func StartKDC(t testing.TB) *KDC {
	t.Helper()
	Require(t, "kerberos")
	dir := t.TempDir()
	k := &KDC{
		Realm:         KDCRealm,
		Config:        filepath.Join(dir, "krb5.conf"),
		Keytab:        filepath.Join(dir, "sshd.keytab"),
		UserPrincipal: testUser + "@" + KDCRealm,
		Password:      randomSecret(t),
		Dir:           dir,
		profile:       filepath.Join(dir, "kdc.conf"),
		logPath:       filepath.Join(dir, "kdc.log"),
	}
	if err := os.MkdirAll(filepath.Join(dir, "rcache"), 0o700); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	// The clients' configuration names the KDC's port, which is known only
	// once it runs; the admin tools before it need only the realm.
	k.writeFile(t, k.Config, k.krb5Conf(""))
	k.writeFile(t, k.profile, k.kdcConf())
	k.admin(t, kdb5UtilPath, "create", "-s", "-r", k.Realm, "-P", randomSecret(t))
	k.kadmin(t,
		"addprinc -clearpolicy -pw "+k.Password+" "+k.UserPrincipal,
		"addprinc -clearpolicy -randkey host/localhost",
		"addprinc -clearpolicy -randkey host/127.0.0.1",
		"ktadd -k "+k.Keytab+" -norandkey host/localhost host/127.0.0.1",
	)
	k.start(t)
	k.writeFile(t, k.Config, k.krb5Conf(k.Addr))
	return k
}

// start runs krb5kdc in the foreground and waits for it to listen.
func (k *KDC) start(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(k.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(krb5kdcPath, "-n", "-r", k.Realm, "-P", filepath.Join(k.Dir, "kdc.pid"))
	cmd.Env = k.adminEnv()
	cmd.Dir = k.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = serverProcAttr()
	p := newProcs()
	exited, err := p.start(cmd)
	if err != nil {
		t.Fatalf("sshtest: starting krb5kdc: %v", err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("sshtest: KDC log (%s):\n%s", k.logPath, tail(k.Log(), 16<<10))
		}
	})
	port, err := waitListening(cmd.Process.Pid, exited, startupTimeout)
	if err != nil {
		p.stop()
		t.Fatalf("sshtest: krb5kdc did not start: %v\n%s", err, tail(k.Log(), 16<<10))
	}
	k.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	k.Pid = cmd.Process.Pid
}

// krb5Conf is the clients' krb5.conf; kdc is the KDC's address, or ""
// before it runs.
func (k *KDC) krb5Conf(kdc string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[libdefaults]
	default_realm = %s
	dns_canonicalize_hostname = false
	rdns = false
	dns_lookup_kdc = false
	dns_lookup_realm = false
	forwardable = true
	udp_preference_limit = 1

[realms]
	%s = {
`, k.Realm, k.Realm)
	if kdc != "" {
		fmt.Fprintf(&b, "\t\tkdc = %s\n", kdc)
	}
	fmt.Fprintf(&b, `	}

[domain_realm]
	localhost = %s
	127.0.0.1 = %s
`, k.Realm, k.Realm)
	return b.String()
}

// kdcConf is the KDC's kdc.conf. Port 0 has the kernel pick the TCP port;
// an empty kdc_listen turns UDP off, whose port would differ.
func (k *KDC) kdcConf() string {
	return fmt.Sprintf(`[kdcdefaults]
	kdc_listen = ""
	kdc_tcp_listen = 127.0.0.1:0

[realms]
	%s = {
		database_name = %s
		key_stash_file = %s
		acl_file = %s
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}

[logging]
	kdc = FILE:%s
	admin_server = FILE:%s
	default = FILE:%s
`, k.Realm,
		filepath.Join(k.Dir, "principal"),
		filepath.Join(k.Dir, "stash"),
		filepath.Join(k.Dir, "kadm5.acl"),
		k.logPath, k.logPath, k.logPath)
}

// Env returns the environment a client of the realm needs: KRB5_CONFIG,
// and KRB5CCNAME=ccache when ccache is not "". Append it to os.Environ().
func (k *KDC) Env(ccache string) []string {
	env := []string{"KRB5_CONFIG=" + k.Config}
	if ccache != "" {
		env = append(env, "KRB5CCNAME="+ccache)
	}
	return env
}

// AcceptorEnv returns the environment a GSS-API acceptor (a server) of
// the realm needs: KRB5_CONFIG, KRB5_KTNAME=Keytab, and KRB5RCACHEDIR in
// Dir, so that its replay cache goes with the realm rather than into
// /var/tmp. StartOpenSSH gives it to sshd when Options.Kerberos is set.
func (k *KDC) AcceptorEnv() []string {
	return []string{
		"KRB5_CONFIG=" + k.Config,
		"KRB5_KTNAME=" + k.Keytab,
		"KRB5RCACHEDIR=" + filepath.Join(k.Dir, "rcache"),
	}
}

// Kinit gets a TGT for UserPrincipal into a new FILE credential cache,
// removed when t ends, and returns the cache's path, for KRB5CCNAME (see
// Env). forwardable says whether the TGT may be forwarded (kinit -f or
// -F), which delegation needs.
func (k *KDC) Kinit(t testing.TB, forwardable bool) string {
	t.Helper()
	flag := "-F"
	if forwardable {
		flag = "-f"
	}
	return k.KinitArgs(t, flag)
}

// KinitArgs is Kinit with kinit's options given by the caller, for
// example "-l", "10s" for a ticket that expires soon.
func (k *KDC) KinitArgs(t testing.TB, args ...string) string {
	t.Helper()
	ccache := filepath.Join(t.TempDir(), "krb5cc")
	args = append([]string{"-c", "FILE:" + ccache}, args...)
	cmd := exec.Command("kinit", append(args, k.UserPrincipal)...)
	cmd.Env = append(os.Environ(), k.Env("")...)
	cmd.Stdin = strings.NewReader(k.Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sshtest: kinit %s: %v\n%s\n%s", strings.Join(args, " "), err, out, tail(k.Log(), 4<<10))
	}
	return ccache
}

// AddPrincipal creates the principal name (the realm is added when name
// has none) with password, or with a random key when password is "", and
// returns its full name. It does not touch any keytab; see AddToKeytab.
func (k *KDC) AddPrincipal(t testing.TB, name, password string) string {
	t.Helper()
	if !strings.Contains(name, "@") {
		name += "@" + k.Realm
	}
	key := "-randkey"
	if password != "" {
		key = "-pw " + password
	}
	k.kadmin(t, "addprinc -clearpolicy "+key+" "+name)
	return name
}

// AddToKeytab writes the current keys of principals into keytab (Keytab
// for sshd), creating it if need be. The keys stay as they are
// (ktadd -norandkey), so keytabs written earlier remain valid.
func (k *KDC) AddToKeytab(t testing.TB, keytab string, principals ...string) {
	t.Helper()
	k.kadmin(t, "ktadd -k "+keytab+" -norandkey "+strings.Join(principals, " "))
}

// Log returns what the KDC logged so far: one line per AS and TGS request.
func (k *KDC) Log() string {
	b, err := os.ReadFile(k.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// sshdConfig returns lines, the user's sshd_config lines, with the lines
// that enable GSS-API authentication and key exchange against the realm
// placed before any Match block. They come after the user's own, so the
// user's win (sshd keeps the first value of a keyword).
func (k *KDC) sshdConfig(lines []string) []string {
	head, match := splitAtMatch(lines)
	out := append([]string{}, head...)
	out = append(out,
		"GSSAPIAuthentication yes",
		"GSSAPIKeyExchange yes",
		// Accept any principal in the keytab, whatever name the client
		// connected to: host/localhost and host/127.0.0.1 alike.
		"GSSAPIStrictAcceptorCheck no",
		// Remove delegated credentials when the session ends, so that no
		// ccache is left in /tmp.
		"GSSAPICleanupCredentials yes",
	)
	return append(out, match...)
}

// kadmin runs kadmin.local queries. It exits 0 even when a query fails,
// so any output on standard error is taken as a failure (addprinc's
// warning about policies is kept away with -clearpolicy).
func (k *KDC) kadmin(t testing.TB, queries ...string) {
	t.Helper()
	cmd := exec.Command(kadminLocalPath, "-r", k.Realm)
	cmd.Env = k.adminEnv()
	cmd.Stdin = strings.NewReader(strings.Join(queries, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("sshtest: kadmin.local: %v\n%s\n%s", err, stderr.String(), stdout.String())
	}
}

// admin runs a realm administration program.
func (k *KDC) admin(t testing.TB, path string, args ...string) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = k.adminEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sshtest: %s: %v\n%s", filepath.Base(path), err, out)
	}
}

func (k *KDC) adminEnv() []string {
	return append(os.Environ(), "KRB5_CONFIG="+k.Config, "KRB5_KDC_PROFILE="+k.profile)
}

func (k *KDC) writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
}

// randomSecret returns a fresh password.
func randomSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return hex.EncodeToString(b)
}
