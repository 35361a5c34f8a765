//go:build cgo && amiko_gssapi

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestKerberosSystemLibrary: amiko built with -tags amiko_gssapi logs
// in with a ticket in a DIR credential cache, which only the system's
// GSS-API library reads (the pure-Go mechanism reads FILE caches), and
// delegates it.
func TestKerberosSystemLibrary(t *testing.T) {
	e := newTestEnv(t)
	kdc := sshtest.StartKDC(t)
	s := e.server(sshtest.Options{Kerberos: kdc})
	e.trust(s)
	_, port, _ := net.SplitHostPort(s.Addr)
	dir := filepath.Join(t.TempDir(), "ccdir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	kinit := exec.Command("kinit", "-f", "-c", "DIR:"+dir, kdc.UserPrincipal)
	kinit.Env = append(os.Environ(), kdc.Env("")...)
	kinit.Stdin = strings.NewReader(kdc.Password + "\n")
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	t.Setenv("KRB5_CONFIG", kdc.Config)
	t.Setenv("KRB5CCNAME", "DIR:"+dir)
	// With the key exchange, the server needs no known host key; without,
	// it is checked, and known as 127.0.0.1.
	for _, tc := range []struct{ kex, host, method string }{
		{"yes", "localhost", "gssapi-keyex"},
		{"no", "127.0.0.1", "gssapi-with-mic"},
	} {
		r := e.run("", "-p", port, "-l", s.User, "-v", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile="+e.knownHosts,
			"-o", "GSSAPIAuthentication=yes", "-o", "GSSAPIKeyExchange="+tc.kex, "-o", "GSSAPIDelegateCredentials=yes",
			"-o", "PubkeyAuthentication=no", tc.host, "klist")
		if r.code != 0 || !strings.Contains(r.stdout, "krbtgt/AMIKO.TEST@AMIKO.TEST") || !strings.Contains(r.stderr, `method="`+tc.method+` (host@`+tc.host+`)"`) {
			t.Fatalf("GSSAPIKeyExchange=%s: exit %d\nstdout %s\nstderr %s", tc.kex, r.code, r.stdout, r.stderr)
		}
	}
}
