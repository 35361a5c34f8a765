package auth

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// FuzzParseFailure: parseFailure returns a *FailureError for a
// well-formed SSH_MSG_USERAUTH_FAILURE and a *wire.ParseError for
// anything else, never panics, and what it accepts encodes back to the
// same message. The seed corpus is in testdata/fuzz/FuzzParseFailure.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParseFailure$' -parallel 1
func FuzzParseFailure(f *testing.F) {
	for _, tc := range []struct {
		methods []string
		partial bool
	}{
		{[]string{"publickey", "password", "keyboard-interactive"}, false},
		{[]string{"publickey"}, true},
		{nil, false},
	} {
		f.Add(wire.AppendBool(wire.AppendNameList([]byte{wire.MsgUserauthFailure}, tc.methods), tc.partial))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		err := parseFailure("publickey", p)
		var fe *FailureError
		if !errors.As(err, &fe) {
			var pe *wire.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is neither a *FailureError nor a *wire.ParseError", err, err)
			}
			return
		}
		if fe.Method != "publickey" || fe.Error() == "" {
			t.Fatalf("FailureError %+v", fe)
		}
		for _, m := range fe.Methods {
			if m == "" || bytes.ContainsRune([]byte(m), ',') {
				t.Fatalf("% x gave the method name %q", p, m)
			}
		}
		b := wire.AppendBool(wire.AppendNameList([]byte{wire.MsgUserauthFailure}, fe.Methods), fe.PartialSuccess)
		// Byte for byte, but for the boolean, where any non-zero byte is
		// true; the message number is the caller's to check.
		last := len(p) - 1
		if len(b) != len(p) || !bytes.Equal(b[1:last], p[1:last]) || (b[last] != 0) != (p[last] != 0) {
			t.Fatalf("USERAUTH_FAILURE % x re-encodes as % x", p, b)
		}
		var again *FailureError
		if err := parseFailure("publickey", b); !errors.As(err, &again) ||
			!slices.Equal(again.Methods, fe.Methods) || again.PartialSuccess != fe.PartialSuccess {
			t.Fatalf("USERAUTH_FAILURE %+v re-parses as %v", fe, err)
		}
	})
}
