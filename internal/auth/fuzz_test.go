package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/amiko-ssh/amiko/internal/gsstest"
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

// FuzzParseBanner: parseBanner never panics, fails only with a
// *wire.ParseError, and what it accepts encodes back to the same bytes
// (the message number is the caller's to check). The seed corpora of
// these targets are in testdata/fuzz.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParseBanner$' -parallel 1
func FuzzParseBanner(f *testing.F) {
	f.Add(appendBanner(nil, "Authorized use only.\n", ""))
	f.Add(appendBanner(nil, "", "en-US"))
	f.Fuzz(func(t *testing.T, p []byte) {
		msg, err := parseBanner(p)
		if err != nil {
			if !errors.As(err, new(*wire.ParseError)) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		lang := p[1+4+len(msg)+4:]
		// The message number is the caller's to check.
		if b := appendBanner(nil, msg, string(lang)); !bytes.Equal(b[1:], p[1:]) {
			t.Fatalf("banner % x re-encodes as % x", p, b)
		}
	})
}

// FuzzParsePKOK: as FuzzParseBanner, for SSH_MSG_USERAUTH_PK_OK.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParsePKOK$' -parallel 1
func FuzzParsePKOK(f *testing.F) {
	f.Add((&pkOK{Algorithm: "ssh-ed25519", PublicKey: []byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}).append(nil))
	f.Add((&pkOK{Algorithm: "rsa-sha2-512"}).append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := parsePKOK(p)
		if err != nil {
			if !errors.As(err, new(*wire.ParseError)) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if b := m.append(nil); !bytes.Equal(b[1:], p[1:]) {
			t.Fatalf("PK_OK % x re-encodes as % x", p, b)
		}
	})
}

// FuzzParsePasswdChangeReq: as FuzzParseBanner, for
// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParsePasswdChangeReq$' -parallel 1
func FuzzParsePasswdChangeReq(f *testing.F) {
	f.Add(appendPasswdChangeReq(nil, "Your password has expired.", "en"))
	f.Fuzz(func(t *testing.T, p []byte) {
		prompt, err := parsePasswdChangeReq(p)
		if err != nil {
			if !errors.As(err, new(*wire.ParseError)) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		lang := p[1+4+len(prompt)+4:]
		if b := appendPasswdChangeReq(nil, prompt, string(lang)); !bytes.Equal(b[1:], p[1:]) {
			t.Fatalf("PASSWD_CHANGEREQ % x re-encodes as % x", p, b)
		}
	})
}

// FuzzParseInfoRequest: parseInfoRequest never panics, fails only with a
// *LimitError (more than maxPrompts prompts) or a *wire.ParseError,
// never returns more than maxPrompts prompts, and what it accepts
// encodes back to the same message (but for the booleans, where any
// non-zero byte is true).
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzParseInfoRequest$' -parallel 1
func FuzzParseInfoRequest(f *testing.F) {
	f.Add((&infoRequest{Prompts: []Prompt{{"Password: ", false}}}).append(nil, ""))
	f.Add((&infoRequest{Name: "2FA", Instruction: "Answer", Prompts: []Prompt{{"Code: ", true}, {"PIN: ", false}}}).append(nil, "en-US"))
	f.Add((&infoRequest{}).append(nil, ""))
	f.Add(hostileInfoRequest(1 << 31))
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := parseInfoRequest(p)
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) {
				if le.Count <= maxPrompts {
					t.Fatalf("limit error for %d prompts", le.Count)
				}
				return
			}
			if !errors.As(err, new(*wire.ParseError)) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if len(m.Prompts) > maxPrompts {
			t.Fatalf("%d prompts", len(m.Prompts))
		}
		r := wire.NewReader("", p)
		r.Byte("")
		r.String("")
		r.String("")
		lang := r.Text("")
		b := m.append(nil, lang)
		if len(b) != len(p) {
			t.Fatalf("INFO_REQUEST % x re-encodes as % x", p, b)
		}
		again, err := parseInfoRequest(b)
		if err != nil || again.Name != m.Name || again.Instruction != m.Instruction || !slices.Equal(again.Prompts, m.Prompts) {
			t.Fatalf("INFO_REQUEST %+v re-parses as %+v, %v", m, again, err)
		}
	})
}

// FuzzMethods feeds a server's answers, split from the input at each
// 0xff 0xfe pair, to every method in turn: none may panic, and each
// error is one of the documented kinds.
//
//	go test ./internal/auth -run '^$' -fuzz '^FuzzMethods$' -parallel 1
func FuzzMethods(f *testing.F) {
	sep := []byte{0xff, 0xfe}
	join := func(ps ...[]byte) []byte { return bytes.Join(ps, sep) }
	f.Add(join(success))
	f.Add(join(appendBanner(nil, "hi", ""), appendFailure([]string{"password"}, true)))
	f.Add(join(appendPasswdChangeReq(nil, "expired", ""), success))
	f.Add(join((&infoRequest{Prompts: []Prompt{{"Password: ", false}}}).append(nil, ""), (&infoRequest{}).append(nil, ""), success))
	f.Add(join(hostileInfoRequest(1<<31), success))
	f.Add(join(gssResponse(krb5OID), gssToken("ap-rep"), success))
	f.Add(join(gssResponse(krb5OID), gssError("no"), appendFailure([]string{"publickey"}, false)))
	signer := mustSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	f.Add(join((&pkOK{Algorithm: "ssh-ed25519", PublicKey: signer.PublicKey().Marshal()}).append(nil), success))
	f.Fuzz(func(t *testing.T, in []byte) {
		var packets [][]byte
		for _, p := range bytes.Split(in, sep) {
			if len(p) > 0 {
				packets = append(packets, p)
			}
		}
		methods := []func(Transport) error{
			func(t Transport) error { return None(t, "u") },
			func(t Transport) error {
				return Password(t, "u", "pw", func(string) (string, error) { return "new", nil })
			},
			func(t Transport) error { return KeyboardInteractive(t, "u", answerEmpty) },
			func(t Transport) error { return PublicKey(t, "u", signer) },
			func(t Transport) error { _, err := PublicKeyQuery(t, "u", signer.PublicKey(), ""); return err },
			func(t Transport) error {
				return GSSAPIWithMIC(context.Background(), t, "u", &gsstest.Mechanism{}, "host@s", true)
			},
		}
		for _, m := range methods {
			ft := &fakeTransport{
				replies: [][][]byte{packets},
				exts:    map[string]string{"publickey-hostbound@openssh.com": "0"},
				hostKey: signer.PublicKey(),
			}
			err := m(ft)
			if err == nil || errors.Is(err, io.EOF) {
				continue
			}
			if !errors.As(err, new(*FailureError)) && !errors.As(err, new(*ProtocolError)) && !errors.As(err, new(*GSSAPIError)) &&
				!errors.As(err, new(*LimitError)) && !errors.As(err, new(*wire.ParseError)) {
				t.Fatalf("error %v (%T)", err, err)
			}
		}
	})
}
