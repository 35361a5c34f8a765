package sshtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"
)

// keySpec says how to make a host key of one of Options.HostKeyTypes.
type keySpec struct {
	// generate makes the key in Go. It is nil for dsa: crypto/dsa is
	// deprecated and ssh.MarshalPrivateKey cannot write DSA keys, so
	// ssh-keygen makes those.
	generate func() (crypto.Signer, error)
	// dropbearkey holds the dropbearkey arguments that make the same kind
	// of key in dropbear's own format.
	dropbearkey []string
}

// rsaBits is the host key size: 2048 bits is still accepted everywhere and
// costs a third of the 3072 bits sshd would pick, which adds up when every
// test generates its own keys.
const rsaBits = 2048

var keySpecs = map[string]keySpec{
	"ed25519": {
		generate: func() (crypto.Signer, error) {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			return k, err
		},
		dropbearkey: []string{"-t", "ed25519"},
	},
	"ecdsa256": {
		generate:    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
		dropbearkey: []string{"-t", "ecdsa", "-s", "256"},
	},
	"ecdsa384": {
		generate:    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) },
		dropbearkey: []string{"-t", "ecdsa", "-s", "384"},
	},
	"ecdsa521": {
		generate:    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) },
		dropbearkey: []string{"-t", "ecdsa", "-s", "521"},
	},
	"rsa": {
		generate:    func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, rsaBits) },
		dropbearkey: []string{"-t", "rsa", "-s", fmt.Sprint(rsaBits)},
	},
	"dsa": {
		dropbearkey: []string{"-t", "dss"},
	},
}

// hostKey is a host key written to a file in the server's directory.
type hostKey struct {
	typ    string // one of the keySpecs names
	path   string
	signer ssh.Signer // nil for dropbear's files, which x/crypto cannot read
	pub    ssh.PublicKey
}

// writeHostKeys generates a fresh key of each type into dir in the OpenSSH
// private key format, which sshd, paramiko, asyncssh and x/crypto all read.
func writeHostKeys(dir string, types []string) ([]hostKey, error) {
	var keys []hostKey
	for _, typ := range types {
		path := filepath.Join(dir, "ssh_host_"+typ+"_key")
		if err := generateKeyFile(typ, path); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("sshtest: reading back %s host key: %w", typ, err)
		}
		keys = append(keys, hostKey{typ: typ, path: path, signer: signer, pub: signer.PublicKey()})
	}
	return keys, nil
}

// generateKeyFile writes a new unencrypted private key of type typ to
// path, mode 0600 (sshd refuses host keys others can read).
func generateKeyFile(typ, path string) error {
	spec, ok := keySpecs[typ]
	if !ok {
		return fmt.Errorf("sshtest: unknown key type %q", typ)
	}
	if spec.generate == nil {
		// PEM rather than OpenSSH format: x/crypto parses DSA keys only
		// from PEM.
		out, err := exec.Command("ssh-keygen", "-q", "-t", "dsa", "-m", "PEM", "-N", "", "-C", "sshtest", "-f", path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("sshtest: ssh-keygen -t dsa: %v: %s", err, out)
		}
		return nil
	}
	key, err := spec.generate()
	if err != nil {
		return fmt.Errorf("sshtest: generating %s key: %w", typ, err)
	}
	block, err := ssh.MarshalPrivateKey(key, "sshtest")
	if err != nil {
		return fmt.Errorf("sshtest: encoding %s key: %w", typ, err)
	}
	return os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}

// requireKeygen skips or fails t when types needs ssh-keygen and it is
// missing: it makes the DSA keys.
func requireKeygen(t testing.TB, types []string) {
	t.Helper()
	if slices.Contains(types, "dsa") {
		Require(t, "ssh-keygen")
	}
}

// publicKeys returns the public halves of keys.
func publicKeys(keys []hostKey) []ssh.PublicKey {
	out := make([]ssh.PublicKey, len(keys))
	for i, k := range keys {
		out[i] = k.pub
	}
	return out
}
