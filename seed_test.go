package amiko

// One test for each parameter and sentence of the seed
// (paramiko's SSHClient.connect documentation) that no other test in
// this package already proves. Each test quotes what it proves; the
// mapping of the rest to their tests is in the report.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// hangGuard bounds a Connect that the test expects to end by a timeout
// of amiko's own: if amiko's bound did not work, the guard ends Connect
// with the context's error instead, which the test tells apart.
const hangGuard = 30 * time.Second

// policyCall is one call of a recording policy.
type policyCall struct {
	ctx    context.Context
	host   string
	remote net.Addr
	key    ssh.PublicKey
}

// recordingPolicy returns a policy that records every call and answers
// with answer, and the calls it has seen.
func recordingPolicy(answer error) (MissingHostKeyPolicy, func() []policyCall) {
	var mu sync.Mutex
	var calls []policyCall
	p := PolicyFunc(func(ctx context.Context, host string, remote net.Addr, key ssh.PublicKey) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, policyCall{ctx, host, remote, key})
		return answer
	})
	return p, func() []policyCall {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(calls)
	}
}

// isHostKey reports whether key is one of s's host keys.
func isHostKey(s *sshtest.Server, key ssh.PublicKey) bool {
	return key != nil && slices.ContainsFunc(s.HostKeys, func(k ssh.PublicKey) bool { return bytes.Equal(k.Marshal(), key.Marshal()) })
}

// replaceLookup makes the resolver answer addrs for every name until the
// test ends.
func replaceLookup(t *testing.T, addrs ...string) {
	orig := lookupHost
	t.Cleanup(func() { lookupHost = orig })
	lookupHost = func(context.Context, string) ([]string, error) { return addrs, nil }
}

// blackhole makes TCP connects to ip:port hang: a socket listening with
// a backlog of 0 that never accepts, its one queue slot filled. Linux
// then drops further SYNs, as a firewall or a dead route would.
func blackhole(t *testing.T, ip string, port int) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	sa := &syscall.SockaddrInet4{Port: port}
	copy(sa.Addr[:], net.ParseIP(ip).To4())
	if err := syscall.Bind(fd, sa); err != nil {
		t.Fatalf("bind %s:%d: %v", ip, port, err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(ip, fmt.Sprint(port))
	for range 8 {
		nc, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return // full: connects now hang
		}
		t.Cleanup(func() { nc.Close() })
	}
	t.Fatalf("%s still accepts connections", addr)
}

// forwarder relays every connection to listen (which it binds) to
// target, until the test ends. It returns false if listen cannot be
// bound.
func forwarder(t *testing.T, listen, target string) bool {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Logf("listen %s: %v", listen, err)
		return false
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	closed := false
	track := func(c net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		open = append(open, c)
		if closed { // accepted while the cleanup ran
			c.Close()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			track(in)
			track(out)
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, in); out.Close() }()
			go func() { defer wg.Done(); io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return true
}

// knownHostsFile writes lines to a new known_hosts file and returns its
// path.
func knownHostsFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// keyOpts are options that authenticate to s with its user key only.
func keyOpts(t *testing.T, s *sshtest.Server) *ConnectOptions {
	return &ConnectOptions{Port: port(t, s.Addr), Username: s.User, PKey: s.UserKey, DisableAgent: true, DisableKeyDiscovery: true}
}

// TestSeedHostname: "hostname (str) – the server to connect to". A name
// is resolved (localhost, as the resolver lists it; an address that
// refuses moves on), and the host keys are filed under the name given,
// not under the address it resolved to, as paramiko does.
func TestSeedHostname(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	p := port(t, s.Addr)
	c := NewClient()
	c.SetMissingHostKeyPolicy(AutoAddPolicy{})
	if err := c.Connect(t.Context(), "localhost", keyOpts(t, s)); err != nil {
		t.Fatal(err)
	}
	info, _ := c.ConnInfo()
	c.Close()
	if got := info.RemoteAddr.String(); got != s.Addr {
		t.Fatalf("connected to %s, the server is at %s", got, s.Addr)
	}
	name := fmt.Sprintf("[localhost]:%d", p)
	if err := c.HostKeys().Check(name, s.HostKeys[0]); err != nil {
		t.Fatalf("the key is not filed under %s: %v", name, err)
	}
	if err := c.HostKeys().Check(fmt.Sprintf("[127.0.0.1]:%d", p), s.HostKeys[0]); !errors.As(err, new(*UnknownHostError)) {
		t.Fatalf("the key is filed under the address too: %v", err)
	}
}

// TestSeedPort: "port (int) – the server port to connect to", 22 by
// default. The host keys of a host on another port are filed as
// "[host]:port", so a key known for the host on port 22 does not vouch
// for another port; on port 22 the name is the bare host name.
func TestSeedPort(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	p := port(t, s.Addr)
	line := func(name string) string { return knownHostsLine(t, name, s.HostKeys[0]) }

	t.Run("not 22", func(t *testing.T) {
		policy, calls := recordingPolicy(nil)
		c := NewClient()
		c.SetMissingHostKeyPolicy(policy)
		// Known on port 22 only: unknown on this port, so the policy is asked.
		if err := c.LoadSystemHostKeys(knownHostsFile(t, line("127.0.0.1"))); err != nil {
			t.Fatal(err)
		}
		if err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s)); err != nil {
			t.Fatal(err)
		}
		c.Close()
		want := fmt.Sprintf("[127.0.0.1]:%d", p)
		if cs := calls(); len(cs) != 1 || cs[0].host != want {
			t.Fatalf("policy calls %+v, want one for %s", cs, want)
		}
		// Known as [127.0.0.1]:port: accepted with no policy.
		c = NewClient()
		if err := c.LoadSystemHostKeys(knownHostsFile(t, line(want))); err != nil {
			t.Fatal(err)
		}
		if err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s)); err != nil {
			t.Fatalf("known as %s: %v", want, err)
		}
		c.Close()
	})

	t.Run("22 by default", func(t *testing.T) {
		// Port 22 on 127.0.0.2 relays to the server, so that Port 0 can
		// reach it. Tests run as root; should something else hold the
		// port, this part cannot run.
		if !forwarder(t, "127.0.0.2:22", s.Addr) {
			t.Skip("cannot listen on 127.0.0.2:22, which this test needs to reach a server on the default port")
		}
		for _, p := range []int{0, 22} {
			policy, calls := recordingPolicy(nil)
			c := NewClient()
			c.SetMissingHostKeyPolicy(policy)
			o := keyOpts(t, s)
			o.Port = p
			if err := c.Connect(t.Context(), "127.0.0.2", o); err != nil {
				t.Fatalf("Port %d: %v", p, err)
			}
			c.Close()
			if cs := calls(); len(cs) != 1 || cs[0].host != "127.0.0.2" {
				t.Fatalf("Port %d: policy calls %+v, want one for 127.0.0.2", p, cs)
			}
		}
		c := NewClient()
		if err := c.LoadSystemHostKeys(knownHostsFile(t, line("127.0.0.2"))); err != nil {
			t.Fatal(err)
		}
		o := keyOpts(t, s)
		o.Port = 0
		if err := c.Connect(t.Context(), "127.0.0.2", o); err != nil {
			t.Fatalf("known as 127.0.0.2: %v", err)
		}
		c.Close()
	})
}

// TestSeedUsernameDefault: "username (str) – the username to
// authenticate as (defaults to the current local username)", through
// Connect: LOGNAME, USER, LNAME and USERNAME in that order (Python's
// getpass.getuser), then the account database.
func TestSeedUsernameDefault(t *testing.T) {
	isolate(t)
	vars := []string{"LOGNAME", "USER", "LNAME", "USERNAME"}
	for _, v := range vars {
		t.Setenv(v, "")
	}

	t.Run("openssh", func(t *testing.T) {
		s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
		t.Setenv("LOGNAME", s.User)
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		o := keyOpts(t, s)
		o.Username = ""
		if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
			t.Fatal(err)
		}
		c.Close()
	})

	// The x/crypto server shows which user name arrived.
	var mu sync.Mutex
	var lastUser string
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{"ed25519"}, Config: func(c *ssh.ServerConfig) {
		c.PublicKeyCallback = func(m ssh.ConnMetadata, _ ssh.PublicKey) (*ssh.Permissions, error) {
			mu.Lock()
			lastUser = m.User()
			mu.Unlock()
			return nil, errors.New("recorded")
		}
	}})
	userSeen := func() string {
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		o := keyOpts(t, s)
		o.Username = ""
		err := c.Connect(t.Context(), "127.0.0.1", o)
		if !errors.As(err, new(*AuthenticationError)) {
			t.Fatalf("got %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		return lastUser
	}
	for i, v := range vars {
		// This variable and the ones after it are set, the ones before
		// it empty: this one wins.
		for j, w := range vars {
			val := ""
			if j >= i {
				val = "user-from-" + strings.ToLower(w)
			}
			t.Setenv(w, val)
		}
		if got, want := userSeen(), "user-from-"+strings.ToLower(v); got != want {
			t.Errorf("with %s first: the server saw %q, want %q", v, got, want)
		}
	}
	for _, v := range vars {
		t.Setenv(v, "")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if got := userSeen(); got != u.Username {
		t.Errorf("with no variable set: the server saw %q, want the account %q", got, u.Username)
	}
}

// TestSeedTimeout: "timeout (float) – an optional timeout (in seconds)
// for the TCP connect". It bounds the connect to each address, and a
// timed-out address moves on to the next; it bounds the SSH negotiation
// after the connect too, as paramiko's start_client(timeout) does.
func TestSeedTimeout(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	p := port(t, s.Addr)
	blackhole(t, "127.0.0.2", p)
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()

	t.Run("TCP connect", func(t *testing.T) {
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		o := keyOpts(t, s)

		// The blackholed address alone: a short Timeout ends its connect
		// (the kernel would retry the SYN for minutes, and the test's
		// guard would end Connect with the context's error instead).
		replaceLookup(t, "127.0.0.2")
		o.Timeout = 300 * time.Millisecond
		err := c.Connect(ctx, "slow.example", o)
		var nv *NoValidConnectionsError
		var ne net.Error
		if !errors.As(err, &nv) || !errors.As(nv.Errors[net.JoinHostPort("127.0.0.2", fmt.Sprint(p))], &ne) || !ne.Timeout() {
			t.Fatalf("got %v", err)
		}

		// The blackholed address first: its connect times out and the
		// next address is used. Timeout bounds that connect's negotiation
		// as well (sshd's start and the key exchange), so it is not short
		// here: a loaded machine may take more than 300 ms for those.
		replaceLookup(t, "127.0.0.2", "127.0.0.1")
		o.Timeout = 5 * time.Second
		start := time.Now()
		if err := c.Connect(ctx, "slow.example", o); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		info, _ := c.ConnInfo()
		c.Close()
		if info.RemoteAddr.String() != s.Addr {
			t.Fatalf("connected to %v", info.RemoteAddr)
		}
		if took < o.Timeout {
			t.Fatalf("connected after %v: the blackholed address was not tried first, for its Timeout of %v", took, o.Timeout)
		}
	})

	// A server that sends its version and then nothing more. Without
	// Timeout, only the default handshake timeout (15 s) would end
	// Connect, with a *TimeoutError saying so.
	stalled := sshtest.ServeTCP(t, func(nc net.Conn) {
		io.WriteString(nc, "SSH-2.0-OpenSSH_9.9 stalled\r\n")
		io.Copy(io.Discard, nc)
	})
	o := &ConnectOptions{Port: port(t, stalled), Timeout: 300 * time.Millisecond, BannerTimeout: -1}

	t.Run("negotiation", func(t *testing.T) {
		err := NewClient().Connect(ctx, "127.0.0.1", o)
		var te *TimeoutError
		switch {
		case ctx.Err() != nil:
			t.Fatalf("only the test's guard ended Connect: %v", err)
		case !errors.Is(err, ErrSSH):
			t.Fatalf("got %v, want an SSH error", err)
		case errors.As(err, &te) && te.After == o.Timeout:
		default:
			t.Fatalf("got %v, want Timeout to end the negotiation", err)
		}
	})

	t.Run("negotiation error", func(t *testing.T) {
		err := NewClient().Connect(ctx, "127.0.0.1", o)
		var te *TimeoutError
		if !errors.As(err, &te) || te.Phase != "handshake" || te.After != o.Timeout || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v (%T), want a *TimeoutError for the handshake after %v", err, err, o.Timeout)
		}
	})
}

// TestSeedGSSOptions: "gss_auth (bool) – True if you want to use GSS-API
// authentication", "gss_kex (bool) – Perform GSS-API Key Exchange and
// user authentication", "gss_deleg_creds (bool) – Delegate GSS-API
// client credentials or not", "gss_host (str) – The targets name in the
// kerberos database. default: hostname". GSS-API is the subject of its
// own issue; until then asking for GSS-API authentication or key
// exchange is a clear SSH error, never a silent no, and the options that
// only shape it are accepted. (gss_auth is TestGSSAPIWithMICAgainstXSSH.)
func TestSeedGSSOptions(t *testing.T) {
	isolate(t)
	// Should the option be ignored, Connect meets a peer that hangs up
	// (and no machine's sshd on port 22).
	hangUp := sshtest.ServeTCP(t, func(net.Conn) {})
	err := NewClient().Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, hangUp), GSSKex: true})
	if err == nil || !errors.Is(err, ErrSSH) || !strings.Contains(err.Error(), "GSS-API") {
		t.Fatalf("gss_kex: got %v", err)
	}
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	o := keyOpts(t, s)
	o.DisableGSSDelegation, o.GSSHost = true, "host/other.example"
	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	if err := c.Connect(t.Context(), "127.0.0.1", o); err != nil {
		t.Fatalf("gss_deleg_creds and gss_host without GSS-API: %v", err)
	}
	c.Close()
}

// TestSeedHostKeyStores: "The server’s host key is checked against the
// system host keys (see load_system_host_keys) and any local host keys
// (load_host_keys)." Both stores read known_hosts as OpenSSH writes it
// (here hashed by ssh-keygen -H); a key listed in either store is
// accepted, and a host either store knows with other keys only is a bad
// host key, whichever store it is.
func TestSeedHostKeyStores(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	other := sshtest.StartXSSH(t, sshtest.XSSHOptions{HostKeyTypes: []string{"ed25519"}})
	name := HostKeyName("127.0.0.1", port(t, s.Addr))
	hashed := func(key ssh.PublicKey) string {
		path := knownHostsFile(t, knownHostsLine(t, name, key))
		run(t, "ssh-keygen", "-q", "-H", "-f", path)
		b, _ := os.ReadFile(path)
		if !bytes.HasPrefix(b, []byte("|1|")) {
			t.Fatalf("ssh-keygen -H wrote %q", b)
		}
		return path
	}
	good, wrong := hashed(s.HostKeys[0]), hashed(other.HostKeys[0])
	for _, tc := range []struct {
		system, local string
		ok            bool
	}{
		{good, "", true},
		{"", good, true},
		{wrong, good, true},
		{good, wrong, true},
		{wrong, "", false},
		{"", wrong, false},
	} {
		policy, calls := recordingPolicy(nil)
		c := NewClient()
		c.SetMissingHostKeyPolicy(policy)
		if tc.system != "" {
			if err := c.LoadSystemHostKeys(tc.system); err != nil {
				t.Fatal(err)
			}
		}
		if tc.local != "" {
			if err := c.LoadHostKeys(tc.local); err != nil {
				t.Fatal(err)
			}
		}
		err := c.Connect(t.Context(), "127.0.0.1", keyOpts(t, s))
		c.Close()
		what := fmt.Sprintf("system %v, local %v", tc.system == good, tc.local == good)
		var bad *BadHostKeyError
		switch {
		case len(calls()) != 0:
			t.Errorf("%s: the policy was asked about a known host", what)
		case tc.ok && err != nil:
			t.Errorf("%s: %v", what, err)
		case !tc.ok && (!errors.As(err, &bad) || bad.Host != name || !isHostKey(s, bad.Presented)):
			t.Errorf("%s: got %v, want a bad host key", what, err)
		}
	}
}

// TestSeedMissingHostKeyPolicy: "If the server’s hostname is not found in
// either set of host keys, the missing host key policy is used (see
// set_missing_host_key_policy)." The policy is asked with Connect's
// context, the host key name, the server's address and its key; what it
// answers is Connect's answer; it is not asked about a known host.
func TestSeedMissingHostKeyPolicy(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}})
	type ctxKey struct{}
	ctx := context.WithValue(t.Context(), ctxKey{}, "connect's")

	policy, calls := recordingPolicy(nil)
	c := NewClient()
	c.SetMissingHostKeyPolicy(policy)
	if err := c.Connect(ctx, "127.0.0.1", keyOpts(t, s)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	cs := calls()
	if len(cs) != 1 {
		t.Fatalf("%d policy calls", len(cs))
	}
	if cs[0].ctx.Value(ctxKey{}) != "connect's" || cs[0].host != HostKeyName("127.0.0.1", port(t, s.Addr)) ||
		cs[0].remote.String() != s.Addr || !isHostKey(s, cs[0].key) {
		t.Fatalf("policy asked with %+v", cs[0])
	}

	errRefused := errors.New("not today")
	policy, calls = recordingPolicy(errRefused)
	c = NewClient()
	c.SetMissingHostKeyPolicy(policy)
	if err := c.Connect(ctx, "127.0.0.1", keyOpts(t, s)); !errors.Is(err, errRefused) {
		t.Fatalf("the policy's refusal: got %v", err)
	}
	if _, ok := c.ConnInfo(); ok {
		t.Fatal("connected after the policy refused")
	}
	if len(calls()) != 1 {
		t.Fatalf("%d policy calls", len(calls()))
	}
}

// TestSeedAuthenticationOrder: "Authentication is attempted in the
// following order of priority: The pkey or key_filename passed in (if
// any); Any key we can find through an SSH agent; Any “id_rsa”, “id_dsa”
// or “id_ecdsa” key discoverable in ~/.ssh/; Plain username/password
// auth, if a password was given". With none of them good, every attempt
// is reported, in that order.
func TestSeedAuthenticationOrder(t *testing.T) {
	home := isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, Config: []string{"MaxAuthTries 10"}})
	newKey := func(path string) ssh.Signer {
		run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path)
		b, _ := os.ReadFile(path)
		k, err := ssh.ParsePrivateKey(b)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	dir := t.TempDir()
	pkey := newKey(filepath.Join(dir, "pkey"))
	keyFile := filepath.Join(dir, "key_filename")
	newKey(keyFile)
	agentKey := newKey(filepath.Join(dir, "agent"))
	t.Setenv("SSH_AUTH_SOCK", sshtest.StartAgent(t, filepath.Join(dir, "agent")))
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	discovered := filepath.Join(home, ".ssh", "id_ecdsa")
	run(t, "ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", discovered)

	c := NewClient()
	c.SetMissingHostKeyPolicy(trustServer(s))
	err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User,
		PKey: pkey, KeyFilenames: []string{keyFile}, Password: "not the password"})
	var ae *AuthenticationError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v", err)
	}
	want := []string{"publickey pkey", "publickey " + keyFile,
		"publickey agent: " + ssh.FingerprintSHA256(agentKey.PublicKey()), "publickey " + discovered, "password "}
	var got []string
	for _, a := range ae.Attempts {
		got = append(got, a.Method+" "+a.Source)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("attempts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSeedDiscoverableKeys: "Any “id_rsa”, “id_dsa” or “id_ecdsa” key
// discoverable in ~/.ssh/" (and id_ed25519, as modern paramiko; that
// one alone is TestKeyDiscovery). Each is found and tried in paramiko's
// order; id_dsa is found but not offered, with the reason noted, since
// ssh-dss is a legacy algorithm.
func TestSeedDiscoverableKeys(t *testing.T) {
	isolate(t)
	keys := t.TempDir()
	gen := func(name string, args ...string) ssh.PublicKey {
		path := filepath.Join(keys, name)
		run(t, "ssh-keygen", append([]string{"-q", "-N", "", "-f", path}, args...)...)
		b, _ := os.ReadFile(path + ".pub")
		pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	rsaPub := gen("rsa", "-t", "rsa", "-b", "2048")
	ecdsaPub := gen("ecdsa", "-t", "ecdsa")
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, AuthorizedKeys: []ssh.PublicKey{rsaPub, ecdsaPub}})
	install := func(home, src, name string) string {
		dst := filepath.Join(home, ".ssh", name)
		b, err := os.ReadFile(filepath.Join(keys, src))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dst), 0o700)
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	connect := func() error {
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		err := c.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Port: port(t, s.Addr), Username: s.User, DisableAgent: true})
		c.Close()
		return err
	}
	for _, k := range []struct{ src, name string }{{"rsa", "id_rsa"}, {"ecdsa", "id_ecdsa"}} {
		home := isolate(t)
		install(home, k.src, k.name)
		if err := connect(); err != nil {
			t.Fatalf("~/.ssh/%s: %v", k.name, err)
		}
	}

	// None authorized: all four are found, in order, and id_dsa is noted.
	gen("rsa2", "-t", "rsa", "-b", "2048")
	gen("dsa", "-t", "dsa")
	gen("ecdsa2", "-t", "ecdsa")
	gen("ed25519", "-t", "ed25519")
	home := isolate(t)
	want := []string{install(home, "rsa2", "id_rsa"), install(home, "dsa", "id_dsa"),
		install(home, "ecdsa2", "id_ecdsa"), install(home, "ed25519", "id_ed25519")}
	err := connect()
	var ae *AuthenticationError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v", err)
	}
	var got []string
	for _, a := range ae.Attempts {
		got = append(got, a.Source)
		if a.Source == want[1] && !strings.Contains(a.Err.Error(), "DSA") {
			t.Errorf("id_dsa noted as %v", a.Err)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("attempts %q, want %q", got, want)
	}
}

// TestSeedOtherErrorsAreSSHErrors: "SSHException – if there was any other
// error connecting or establishing an SSH session". A peer that is not
// an SSH server, one that speaks only SSH 1, and one with no algorithm in
// common all give errors that match ErrSSH (and are neither
// authentication nor host key errors).
func TestSeedOtherErrorsAreSSHErrors(t *testing.T) {
	isolate(t)
	connect := func(addr string, o *ConnectOptions) error {
		t.Helper()
		if o == nil {
			o = &ConnectOptions{}
		}
		o.Port = port(t, addr)
		c := NewClient()
		c.SetMissingHostKeyPolicy(AutoAddPolicy{})
		err := c.Connect(t.Context(), "127.0.0.1", o)
		if err == nil {
			c.Close()
			t.Fatal("connected")
		}
		if !errors.Is(err, ErrSSH) || errors.As(err, new(*AuthenticationError)) || errors.As(err, new(*BadHostKeyError)) {
			t.Errorf("got %v (%T), want an SSH error", err, err)
		}
		return err
	}
	connect(sshtest.ServeTCP(t, func(nc net.Conn) {
		io.WriteString(nc, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	}), nil)
	err := connect(sshtest.ServeTCP(t, func(nc net.Conn) {
		io.WriteString(nc, "SSH-1.5-ancient\r\n")
		io.Copy(io.Discard, nc)
	}), nil)
	if !errors.As(err, new(*ProtocolError)) {
		t.Errorf("SSH 1: %v", err)
	}
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519"}, Config: []string{"Ciphers aes256-ctr"}})
	err = connect(s.Addr, &ConnectOptions{DisabledAlgorithms: DisabledAlgorithms{Ciphers: []string{"aes256-ctr"}}})
	if !errors.As(err, new(*NegotiationError)) {
		t.Errorf("no common cipher: %v", err)
	}
}
