package knownhosts

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
	"golang.org/x/crypto/ssh"
)

// keygen runs ssh-keygen with args and returns its standard output.
func keygen(t testing.TB, args ...string) string {
	t.Helper()
	sshtest.Require(t, "ssh-keygen")
	cmd := exec.Command("ssh-keygen", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// testKey is a key pair made by ssh-keygen.
type testKey struct {
	path string // private key; path+".pub" is the public key
	pub  ssh.PublicKey
	line string // "type base64" as in the .pub file
}

// keyPool holds the keys ssh-keygen made, by type, shared by the tests
// (RSA keys take a while to make): a test's n-th key of a type is the
// pool's n-th.
var keyPool struct {
	sync.Mutex
	dir   string
	keys  map[string][]testKey
	taken map[string]int // test name and type -> keys handed out
}

// newKey returns a key of type typ ("ed25519", "ecdsa", "rsa") made by
// ssh-keygen, one the test has not had before.
func newKey(t testing.TB, typ string) testKey {
	t.Helper()
	sshtest.Require(t, "ssh-keygen")
	keyPool.Lock()
	defer keyPool.Unlock()
	if keyPool.keys == nil {
		dir, err := os.MkdirTemp("", "knownhosts-keys")
		if err != nil {
			t.Fatal(err)
		}
		keyPool.dir, keyPool.keys, keyPool.taken = dir, map[string][]testKey{}, map[string]int{}
	}
	id := t.Name() + "/" + typ
	n := keyPool.taken[id]
	keyPool.taken[id]++
	for len(keyPool.keys[typ]) <= n {
		path := filepath.Join(keyPool.dir, fmt.Sprintf("%s-%d", typ, len(keyPool.keys[typ])))
		keygen(t, "-q", "-t", typ, "-N", "", "-C", "", "-f", path)
		keyPool.keys[typ] = append(keyPool.keys[typ], testKey{path: path, pub: readPub(t, path+".pub"), line: pubLine(t, path+".pub")})
	}
	return keyPool.keys[typ][n]
}

// removeKeyPool deletes the pool's keys, after the tests.
func removeKeyPool() {
	if keyPool.dir != "" {
		os.RemoveAll(keyPool.dir)
	}
}

func readPub(t testing.TB, path string) ssh.PublicKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return k
}

func pubLine(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data))
	return f[0] + " " + f[1]
}

// signHostCert signs key's public key with ca as ssh-keygen -s does and
// returns the certificate. opts go before the public key file, e.g.
// "-h", "-n", "host.example", "-V", "-5m:+1h".
func signHostCert(t testing.TB, ca, key testKey, opts ...string) *ssh.Certificate {
	t.Helper()
	dir := t.TempDir()
	pub := filepath.Join(dir, "key.pub")
	data, err := os.ReadFile(key.path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, data, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-q", "-s", ca.path, "-I", "test-id"}, opts...)
	keygen(t, append(args, pub)...)
	k := readPub(t, filepath.Join(dir, "key-cert.pub"))
	cert, ok := k.(*ssh.Certificate)
	if !ok {
		t.Fatalf("ssh-keygen made a %T, not a certificate", k)
	}
	return cert
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t testing.TB, path string) *File {
	t.Helper()
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustParse(t testing.TB, data string) *File {
	t.Helper()
	f, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
