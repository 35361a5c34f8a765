package transport

import (
	"bytes"
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

func TestPreferHostKeyAlgorithms(t *testing.T) {
	got := PreferHostKeyAlgorithms(DefaultHostKeyAlgorithms, []string{ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA384})
	want := []string{"ecdsa-sha2-nistp384", "rsa-sha2-512", "rsa-sha2-256"}
	if !slices.Equal(got[:3], want) {
		t.Fatalf("got %v, want %v first", got, want)
	}
	if len(got) != len(DefaultHostKeyAlgorithms) {
		t.Fatalf("lost algorithms: %v", got)
	}
	if got := PreferHostKeyAlgorithms(DefaultHostKeyAlgorithms, nil); !slices.Equal(got, DefaultHostKeyAlgorithms) {
		t.Fatalf("no known keys changed the order: %v", got)
	}
}

// TestServerPresentsTheKnownKey: sshd holds Ed25519, ECDSA and RSA host
// keys; whichever one the client knows is the one it presents.
func TestServerPresentsTheKnownKey(t *testing.T) {
	s := sshtest.StartOpenSSH(t, sshtest.Options{HostKeyTypes: []string{"ed25519", "ecdsa256", "rsa"}})
	for _, known := range s.HostKeys {
		t.Run(known.Type(), func(t *testing.T) {
			var presented ssh.PublicKey
			cfg := &Config{
				HostKeyAlgorithms: PreferHostKeyAlgorithms(DefaultHostKeyAlgorithms, []string{known.Type()}),
				HostKeyCallback: func(k ssh.PublicKey) error {
					presented = k
					return nil
				},
			}
			c, _ := dialAndAuth(t, s, cfg)
			if !bytes.Equal(presented.Marshal(), known.Marshal()) {
				t.Fatalf("server presented %s after %s was preferred (negotiated %s)", presented.Type(), known.Type(), c.Algorithms().HostKey)
			}
		})
	}
}
