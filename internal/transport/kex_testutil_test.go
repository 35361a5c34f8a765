package transport

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// kexFakeTransport replays canned server messages to a kex method and
// records what it sends. Like the real transport, the slice readPacket
// returns is reused: scribble overwrites it, so a method that keeps it past
// the next read is caught.
type kexFakeTransport struct {
	replies [][]byte
	sent    [][]byte
	buf     []byte
}

func (f *kexFakeTransport) writePacket(p []byte) error {
	f.sent = append(f.sent, bytes.Clone(p))
	return nil
}

func (f *kexFakeTransport) readPacket() ([]byte, error) {
	f.scribble()
	if len(f.replies) == 0 {
		return nil, io.EOF
	}
	f.buf = append(f.buf[:0], f.replies[0]...)
	f.replies = f.replies[1:]
	return f.buf, nil
}

func (f *kexFakeTransport) scribble() {
	for i := range f.buf {
		f.buf[i] = 0xa5
	}
}

// kexHex is a byte string written as hex in JSON.
type kexHex []byte

func (h *kexHex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

func (h kexHex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// kexVector is one known-answer vector of testdata/kex/kat*.json.
type kexVector struct {
	Method         string            `json:"method"`
	Source         string            `json:"source"`
	ConfirmedBy    []string          `json:"confirmed_by"`
	ClientVersion  string            `json:"client_version"`
	ServerVersion  string            `json:"server_version"`
	ClientKexInit  kexHex            `json:"client_kexinit"`
	ServerKexInit  kexHex            `json:"server_kexinit"`
	GexMin         uint32            `json:"gex_min,omitempty"`
	GexN           uint32            `json:"gex_n,omitempty"`
	GexMax         uint32            `json:"gex_max,omitempty"`
	ClientRand     kexHex            `json:"client_rand"`
	ClientMessages []kexHex          `json:"client_messages"`
	ServerMessages []kexHex          `json:"server_messages"`
	HostKey        kexHex            `json:"host_key"`
	Signature      kexHex            `json:"signature"`
	K              kexHex            `json:"K"`
	H              kexHex            `json:"H"`
	Keys           map[string]kexHex `json:"keys"`
}

type kexVectorFile struct {
	Comment     string      `json:"comment"`
	HostKeySeed kexHex      `json:"host_key_seed"`
	KeyLength   int         `json:"key_length"`
	Vectors     []kexVector `json:"vectors"`
}

// kexVectorFiles are the known-answer files: kat.json from gen_kat.py
// (asyncssh, paramiko) and kat_mlkem.json from kex_xcrypto_test.go
// (golang.org/x/crypto/ssh).
var kexVectorFiles = []string{"kat.json", "kat_mlkem.json"}

func loadKexVectors(t testing.TB) []kexVector {
	t.Helper()
	var all []kexVector
	for _, name := range kexVectorFiles {
		b, err := os.ReadFile(filepath.Join("testdata", "kex", name))
		if err != nil {
			t.Fatal(err)
		}
		var f kexVectorFile
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(f.Vectors) == 0 {
			t.Fatalf("%s: no vectors", name)
		}
		all = append(all, f.Vectors...)
	}
	return all
}

// input returns the kexInput of v, reading the client's fixed randomness.
func (v *kexVector) input() *kexInput {
	return &kexInput{
		clientVersion: []byte(v.ClientVersion),
		serverVersion: []byte(v.ServerVersion),
		clientKexInit: v.ClientKexInit,
		serverKexInit: v.ServerKexInit,
		rand:          bytes.NewReader(v.ClientRand),
		gexMin:        v.GexMin,
		gexN:          v.GexN,
		gexMax:        v.GexMax,
	}
}

// replies returns copies of v's server messages.
func (v *kexVector) replies() [][]byte {
	out := make([][]byte, len(v.ServerMessages))
	for i, m := range v.ServerMessages {
		out[i] = bytes.Clone(m)
	}
	return out
}

// kexStream is an endless deterministic random stream for runs that need
// randomness but no particular value.
type kexStream struct{ n byte }

func (s *kexStream) Read(p []byte) (int, error) {
	for i := range p {
		s.n = s.n*17 + 101
		p[i] = s.n
	}
	return len(p), nil
}

// asKexError reports whether err is a *KexError.
func asKexError(err error) bool {
	var ke *KexError
	return errors.As(err, &ke)
}
