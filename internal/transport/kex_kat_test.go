package transport

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// TestKexKAT runs every method of kexMethods against a server reply
// recorded from an independent implementation (testdata/kex: asyncssh and
// paramiko through gen_kat.py, golang.org/x/crypto/ssh for the hybrid
// method) and checks what the client sends, K, H and the derived keys.
func TestKexKAT(t *testing.T) {
	vectors := loadKexVectors(t)
	byMethod := map[string][]kexVector{}
	for _, v := range vectors {
		byMethod[v.Method] = append(byMethod[v.Method], v)
	}
	var names []string
	for name := range kexMethods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			vs := byMethod[name]
			if len(vs) == 0 {
				t.Fatalf("no known-answer vector for %s: add it to gen_kat.py or kex_xcrypto_test.go", name)
			}
			for _, v := range vs {
				checkKexVector(t, &v)
			}
		})
	}
	for name := range byMethod {
		if kexMethods[name] == nil {
			t.Errorf("vector for %s, which kexMethods lacks", name)
		}
	}
}

// TestKexKATConcurrent runs every vector at once, twice: the methods are
// shared values in kexMethods and must keep their state per run (run
// with -race).
func TestKexKATConcurrent(t *testing.T) {
	vectors := loadKexVectors(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(vectors))
	for range 2 {
		for _, v := range vectors {
			wg.Go(func() {
				tr := &kexFakeTransport{replies: v.replies()}
				res, err := kexMethods[v.Method].run(tr, v.input())
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %v", v.Method, err)
				case !bytes.Equal(res.H, v.H):
					errs <- fmt.Errorf("%s: H %x, want %x", v.Method, res.H, []byte(v.H))
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func checkKexVector(t *testing.T, v *kexVector) {
	t.Helper()
	t.Logf("%s: vector from %s, confirmed by %v", v.Method, v.Source, v.ConfirmedBy)
	in := v.input()
	tr := &kexFakeTransport{replies: v.replies()}
	res, err := kexMethods[v.Method].run(tr, in)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	tr.scribble() // the result must not alias the last packet

	if n := in.rand.(*bytes.Reader).Len(); n != 0 {
		t.Errorf("client left %d of its %d random bytes unread", n, len(v.ClientRand))
	}
	if len(tr.sent) != len(v.ClientMessages) {
		t.Fatalf("client sent %d messages, want %d", len(tr.sent), len(v.ClientMessages))
	}
	for i, m := range tr.sent {
		if !bytes.Equal(m, v.ClientMessages[i]) {
			t.Errorf("client message %d:\n got %x\nwant %x", i, m, []byte(v.ClientMessages[i]))
		}
	}
	if len(tr.replies) != 0 {
		t.Errorf("client left %d server messages unread", len(tr.replies))
	}
	if !bytes.Equal(res.K, v.K) {
		t.Errorf("K:\n got %x\nwant %x", res.K, []byte(v.K))
	}
	if !bytes.Equal(res.H, v.H) {
		t.Errorf("H:\n got %x\nwant %x", res.H, []byte(v.H))
	}
	if !bytes.Equal(res.HostKey, v.HostKey) {
		t.Errorf("host key:\n got %x\nwant %x", res.HostKey, []byte(v.HostKey))
	}
	if !bytes.Equal(res.Signature, v.Signature) {
		t.Errorf("signature:\n got %x\nwant %x", res.Signature, []byte(v.Signature))
	}
	if res.Hash.Size() != len(v.H) {
		t.Errorf("hash %v, but H has %d bytes", res.Hash, len(v.H))
	}
	for _, letter := range "ABCDEF" {
		want := v.Keys[string(letter)]
		if len(want) == 0 {
			t.Fatalf("vector has no key %c", letter)
		}
		// Lengths inside one hash block and across several, so the
		// extension of RFC 4253 section 7.2 is covered for every hash.
		for _, n := range []int{16, 32, 64, len(want)} {
			if n > len(want) {
				continue
			}
			// On the first exchange the session id is H.
			got := deriveKey(res.Hash, res.K, res.H, byte(letter), res.H, n)
			if !bytes.Equal(got, want[:n]) {
				t.Errorf("key %c[%d]:\n got %x\nwant %x", letter, n, got, []byte(want[:n]))
			}
		}
	}

	// The server signed H: a third check, by x/crypto/ssh, that H is the
	// hash the independent server computed.
	pub, err := ssh.ParsePublicKey(res.HostKey)
	if err != nil {
		t.Fatalf("host key: %v", err)
	}
	sig, err := wire.ParseSignature(res.Signature)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := pub.Verify(res.H, &ssh.Signature{Format: sig.Format, Blob: sig.Blob}); err != nil {
		t.Errorf("server's signature over H does not verify: %v", err)
	}
}
