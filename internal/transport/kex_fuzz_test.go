package transport

import (
	"errors"
	"io"
	"slices"
	"testing"
)

// kexMethodNames returns the names of kexMethods in a fixed order, which
// the fuzz corpus indexes.
func kexMethodNames() []string {
	var names []string
	for name := range kexMethods {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// FuzzKexReply drives every method's run with arbitrary server messages
// (the reply, and for the group exchange the group then the reply): each
// must end in a result or an error, never a panic. The seed corpus is the
// known-answer vectors' replies plus testdata/fuzz/FuzzKexReply.
//
//	go test ./internal/transport -run '^$' -fuzz FuzzKexReply
func FuzzKexReply(f *testing.F) {
	names := kexMethodNames()
	for _, v := range loadKexVectors(f) {
		i := slices.Index(names, v.Method)
		if i < 0 {
			f.Fatalf("vector for unknown method %s", v.Method)
		}
		second := []byte(nil)
		if len(v.ServerMessages) > 1 {
			second = v.ServerMessages[1]
		}
		f.Add(uint8(i), []byte(v.ServerMessages[0]), []byte(second))
	}
	f.Fuzz(func(t *testing.T, method uint8, first, second []byte) {
		name := names[int(method)%len(names)]
		tr := &kexFakeTransport{replies: [][]byte{first, second}}
		in := &kexInput{
			clientVersion: []byte("SSH-2.0-fuzz"),
			serverVersion: []byte("SSH-2.0-fuzz"),
			rand:          &kexStream{n: method},
		}
		res, err := kexMethods[name].run(tr, in)
		if err != nil {
			if !asKexError(err) && !errors.Is(err, io.EOF) {
				t.Fatalf("%s: error %v (%T) is neither a *KexError nor the transport's", name, err, err)
			}
			return
		}
		if len(res.H) != res.Hash.Size() || len(res.K) == 0 {
			t.Fatalf("%s: accepted with H %x, K %x", name, res.H, res.K)
		}
	})
}
