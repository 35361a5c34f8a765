package auth

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// Requests as the methods send them, and what they do with the answers
// of a scripted server, hostile ones included.

func answerEmpty(name, instruction string, prompts []Prompt) ([]string, error) {
	return make([]string, len(prompts)), nil
}

// hostileInfoRequest is an INFO_REQUEST that claims n prompts and holds
// one.
func hostileInfoRequest(n uint32) []byte {
	b := []byte{wire.MsgUserauthInfoRequest}
	b = wire.AppendText(b, "name")
	b = wire.AppendText(b, "instruction")
	b = wire.AppendText(b, "")
	b = wire.AppendUint32(b, n)
	b = wire.AppendText(b, "Password: ")
	return wire.AppendBool(b, false)
}

// TestHostilePromptCount: a prompt count of 2^31 (or 257) is a
// *LimitError, found before anything is allocated for the prompts.
func TestHostilePromptCount(t *testing.T) {
	for _, n := range []uint32{1 << 31, 1<<32 - 1, maxPrompts + 1} {
		p := hostileInfoRequest(n)
		f := &fakeTransport{replies: [][][]byte{{p}}}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := KeyboardInteractive(f, "u", answerEmpty)
		runtime.ReadMemStats(&after)
		var le *LimitError
		if !errors.As(err, &le) || le.Count != uint64(n) || le.Limit != maxPrompts {
			t.Fatalf("%d prompts: got %v (%T), want a *LimitError", n, err, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
			t.Errorf("%d prompts: %d bytes allocated", n, got)
		}
		if allocs := testing.AllocsPerRun(100, func() { parseInfoRequest(p) }); allocs > 4 {
			t.Errorf("%d prompts: parseInfoRequest makes %v allocations", n, allocs)
		}
	}
	// A count the packet cannot hold is malformed.
	f := &fakeTransport{replies: [][][]byte{{hostileInfoRequest(100)}}}
	if err := KeyboardInteractive(f, "u", answerEmpty); !errors.As(err, new(*wire.ParseError)) {
		t.Fatalf("100 prompts in a packet of one: %v", err)
	}
}

// TestHostileEndlessRounds: rounds without end, with or without prompts,
// stop at maxInfoRounds; password change requests at maxPasswordChanges.
func TestHostileEndlessRounds(t *testing.T) {
	for _, round := range [][]byte{
		(&infoRequest{}).append(nil, ""),
		(&infoRequest{Prompts: []Prompt{{"Code: ", true}}}).append(nil, ""),
	} {
		f := &fakeTransport{replies: endless(1000, round)}
		calls := 0
		err := KeyboardInteractive(f, "u", func(n, i string, p []Prompt) ([]string, error) {
			calls++
			return answerEmpty(n, i, p)
		})
		var le *LimitError
		if !errors.As(err, &le) || calls != maxInfoRounds {
			t.Fatalf("got %v after %d rounds", err, calls)
		}
	}

	f := &fakeTransport{replies: endless(1000, appendPasswdChangeReq(nil, "again", ""))}
	calls := 0
	err := Password(f, "u", "old", func(string) (string, error) { calls++; return "new", nil })
	var le *LimitError
	if !errors.As(err, &le) || le.Method != "password" || calls != maxPasswordChanges {
		t.Fatalf("got %v after %d changes", err, calls)
	}
}

// TestHostileMessages: answers that have no place in the exchange.
func TestHostileMessages(t *testing.T) {
	signer := newEd25519(t)
	pub := signer.PublicKey()
	otherPub := newEd25519(t).PublicKey()
	info := (&infoRequest{Prompts: []Prompt{{"Password: ", false}}}).append(nil, "")
	for _, tc := range []struct {
		name  string
		reply []byte
		run   func(Transport) error
		check func(error) bool
	}{
		{"success-to-query", success, func(f Transport) error { _, err := PublicKeyQuery(f, "u", pub, ""); return err }, isProtocolError},
		{"pk-ok-for-another-key", (&pkOK{Algorithm: pub.Type(), PublicKey: otherPub.Marshal()}).append(nil),
			func(f Transport) error { _, err := PublicKeyQuery(f, "u", pub, ""); return err }, isProtocolError},
		{"pk-ok-for-another-algorithm", (&pkOK{Algorithm: "ssh-rsa", PublicKey: pub.Marshal()}).append(nil),
			func(f Transport) error { _, err := PublicKeyQuery(f, "u", pub, ""); return err }, isProtocolError},
		{"pk-ok-to-signature", (&pkOK{Algorithm: pub.Type(), PublicKey: pub.Marshal()}).append(nil),
			func(f Transport) error { return PublicKey(f, "u", signer) }, isProtocolError},
		{"info-request-to-none", info, func(f Transport) error { return None(f, "u") }, isProtocolError},
		{"info-request-to-password", info, func(f Transport) error { return Password(f, "u", "pw", nil) }, isParseError},
		{"channel-data-to-keyboard-interactive", []byte{wire.MsgChannelData, 0, 0, 0, 0}, func(f Transport) error { return KeyboardInteractive(f, "u", answerEmpty) }, isProtocolError},
		{"bad-failure", []byte{wire.MsgUserauthFailure, 0, 0, 0, 1, ','}, func(f Transport) error { return None(f, "u") }, isParseError},
		{"bad-banner", []byte{wire.MsgUserauthBanner, 0, 0, 1, 0}, func(f Transport) error { return None(f, "u") }, isParseError},
		{"bad-passwd-changereq", []byte{msgUserauthPasswdChangeReq, 0, 0, 0, 9}, func(f Transport) error {
			return Password(f, "u", "pw", func(string) (string, error) { return "x", nil })
		}, isParseError},
		{"bad-pk-ok", []byte{wire.MsgUserauthPKOK, 0, 0, 0, 0}, func(f Transport) error { _, err := PublicKeyQuery(f, "u", pub, ""); return err }, isParseError},
		{"eof", nil, func(f Transport) error { return None(f, "u") }, func(err error) bool { return errors.Is(err, io.EOF) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTransport{}
			if tc.reply != nil {
				f.replies = [][][]byte{{tc.reply}}
			}
			err := tc.run(f)
			if !tc.check(err) {
				t.Fatalf("got %v (%T)", err, err)
			}
			t.Log(err)
		})
	}
}

func isProtocolError(err error) bool { return errors.As(err, new(*ProtocolError)) }
func isParseError(err error) bool    { return errors.As(err, new(*wire.ParseError)) }

// TestKeyboardInteractiveAnswers: the callback's mistakes.
func TestKeyboardInteractiveAnswers(t *testing.T) {
	info := (&infoRequest{Prompts: []Prompt{{"A: ", true}, {"B: ", false}}}).append(nil, "")
	f := &fakeTransport{replies: [][][]byte{{info}}}
	err := KeyboardInteractive(f, "u", func(string, string, []Prompt) ([]string, error) { return []string{"one"}, nil })
	if err == nil {
		t.Fatal("one answer to two prompts was sent")
	}
	if len(f.written) != 1 {
		t.Fatalf("%d packets written", len(f.written))
	}
	if err := KeyboardInteractive(&fakeTransport{}, "u", nil); err == nil {
		t.Fatal("nil answer function accepted")
	}
	mine := errors.New("user cancelled")
	f = &fakeTransport{replies: [][][]byte{{info}}}
	if err := KeyboardInteractive(f, "u", func(string, string, []Prompt) ([]string, error) { return nil, mine }); err != mine {
		t.Fatalf("got %v, want the callback's error", err)
	}
}

// TestPasswordAnswerer: paramiko's fallback handler.
func TestPasswordAnswerer(t *testing.T) {
	a := PasswordAnswerer("secret")
	for _, tc := range []struct {
		prompts []Prompt
		want    []string
		err     error
	}{
		{nil, nil, nil},
		{[]Prompt{{"Password: ", false}}, []string{"secret"}, nil},
		// paramiko answers any single prompt, echoed or not.
		{[]Prompt{{"Passcode or option (1-3): ", true}}, []string{"secret"}, nil},
		{[]Prompt{{"Password: ", false}, {"Code: ", true}}, nil, ErrNotPasswordPrompt},
	} {
		got, err := a("", "", tc.prompts)
		if !slices.Equal(got, tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("%v: got %q, %v; want %q, %v", tc.prompts, got, err, tc.want, tc.err)
		}
	}
}

// TestRequests checks the bytes each method sends and how it reads the
// answers, against a scripted server.
func TestRequests(t *testing.T) {
	header := func(method string) []byte { return appendRequestHeader(nil, "alice", method) }

	t.Run("none", func(t *testing.T) {
		f := &fakeTransport{replies: [][][]byte{{appendFailure([]string{"publickey", "password"}, false)}}}
		fe := asFailure(t, None(f, "alice"))
		if fe.Method != "none" || !slices.Equal(fe.Methods, []string{"publickey", "password"}) {
			t.Fatalf("%+v", fe)
		}
		if want := header("none"); !bytes.Equal(f.written[0], want) {
			t.Fatalf("sent % x, want % x", f.written[0], want)
		}
	})

	t.Run("password", func(t *testing.T) {
		f := &fakeTransport{replies: [][][]byte{{success}}}
		if err := Password(f, "alice", "pw", nil); err != nil {
			t.Fatal(err)
		}
		want := wire.AppendText(wire.AppendBool(header("password"), false), "pw")
		if !bytes.Equal(f.written[0], want) {
			t.Fatalf("sent % x, want % x", f.written[0], want)
		}
	})

	t.Run("password-change", func(t *testing.T) {
		f := &fakeTransport{replies: [][][]byte{
			{appendPasswdChangeReq(nil, "Expired", "en")},
			{appendBanner(nil, "changing", ""), appendPasswdChangeReq(nil, "Too short", "")},
			{appendFailure([]string{"password"}, true)},
		}}
		var prompts, banners []string
		a := &Authenticator{Transport: f, User: "alice", Banner: func(m string) { banners = append(banners, m) }}
		fe := asFailure(t, a.Password("old", func(p string) (string, error) {
			prompts = append(prompts, p)
			return "new" + string(rune('0'+len(prompts))), nil
		}))
		if !fe.PartialSuccess || fe.Method != "password" {
			t.Fatalf("%+v", fe)
		}
		if !slices.Equal(prompts, []string{"Expired", "Too short"}) || !slices.Equal(banners, []string{"changing"}) {
			t.Fatalf("prompts %q banners %q", prompts, banners)
		}
		for i, nw := range []string{"new1", "new2"} {
			want := wire.AppendText(wire.AppendText(wire.AppendBool(header("password"), true), "old"), nw)
			if !bytes.Equal(f.written[i+1], want) {
				t.Fatalf("change %d: sent % x, want % x", i, f.written[i+1], want)
			}
		}
	})

	t.Run("keyboard-interactive", func(t *testing.T) {
		f := &fakeTransport{replies: [][][]byte{
			{(&infoRequest{Name: "n", Instruction: "i", Prompts: []Prompt{{"A: ", true}, {"B: ", false}}}).append(nil, "en-US")},
			{(&infoRequest{}).append(nil, "")},
			{success},
		}}
		calls := 0
		err := KeyboardInteractive(f, "alice", func(name, instruction string, prompts []Prompt) ([]string, error) {
			calls++
			if calls == 1 {
				if name != "n" || instruction != "i" || !slices.Equal(prompts, []Prompt{{"A: ", true}, {"B: ", false}}) {
					t.Fatalf("round 1: %q %q %v", name, instruction, prompts)
				}
				return []string{"a", "b"}, nil
			}
			if len(prompts) != 0 {
				t.Fatalf("round 2: %v", prompts)
			}
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]byte{
			wire.AppendText(wire.AppendText(header("keyboard-interactive"), ""), ""),
			appendInfoResponse(nil, []string{"a", "b"}),
			{wire.MsgUserauthInfoReply, 0, 0, 0, 0},
		}
		if !slices.EqualFunc(f.written, want, bytes.Equal) {
			t.Fatalf("sent\n% x\nwant\n% x", f.written, want)
		}
	})

	t.Run("query", func(t *testing.T) {
		pub := rsaSigner().PublicKey()
		f := &fakeTransport{
			exts:    map[string]string{"server-sig-algs": "ssh-ed25519,rsa-sha2-256", "publickey-hostbound@openssh.com": "0"},
			hostKey: newEd25519(t).PublicKey(),
			replies: [][][]byte{{(&pkOK{Algorithm: "rsa-sha2-256", PublicKey: pub.Marshal()}).append(nil)}},
		}
		ok, err := PublicKeyQuery(f, "alice", pub, "")
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		// A plain publickey query, even where signing is host-bound.
		want := wire.AppendString(wire.AppendText(wire.AppendBool(header("publickey"), false), "rsa-sha2-256"), pub.Marshal())
		if !bytes.Equal(f.written[0], want) {
			t.Fatalf("sent % x, want % x", f.written[0], want)
		}
	})

	// The signed request, host-bound or not, as a server verifies it.
	for _, tc := range []struct {
		name      string
		ext       map[string]string
		hostKey   bool
		hostbound bool
	}{
		{"hostbound", map[string]string{"publickey-hostbound@openssh.com": "0"}, true, true},
		{"hostbound-no-host-key", map[string]string{"publickey-hostbound@openssh.com": "0"}, false, false},
		{"hostbound-other-version", map[string]string{"publickey-hostbound@openssh.com": "1"}, true, false},
		{"plain", nil, true, false},
	} {
		t.Run("publickey/"+tc.name, func(t *testing.T) {
			signer := newEd25519(t)
			f := &fakeTransport{exts: tc.ext, replies: [][][]byte{{success}}}
			var hostKey ssh.PublicKey
			if tc.hostKey {
				hostKey = newEd25519(t).PublicKey()
				f.hostKey = hostKey
			}
			if Hostbound(f) != tc.hostbound {
				t.Fatalf("Hostbound %v", Hostbound(f))
			}
			if err := PublicKey(f, "alice", signer); err != nil {
				t.Fatal(err)
			}
			r := wire.NewReader("request", f.written[0])
			r.Byte("message")
			user, service, method := r.Text("user"), r.Text("service"), r.Text("method")
			hasSig, alg, blob := r.Bool("has signature"), r.Text("algorithm"), r.String("key")
			wantMethod := "publickey"
			if tc.hostbound {
				wantMethod = "publickey-hostbound-v00@openssh.com"
				if hk := r.String("host key"); !bytes.Equal(hk, hostKey.Marshal()) {
					t.Fatalf("host key % x", hk)
				}
			}
			signed := append(wire.AppendString(nil, f.SessionID()), f.written[0][:len(f.written[0])-r.Len()]...)
			sigBlob := r.String("signature")
			if err := r.End(); err != nil {
				t.Fatal(err)
			}
			if user != "alice" || service != "ssh-connection" || method != wantMethod || !hasSig ||
				alg != ssh.KeyAlgoED25519 || !bytes.Equal(blob, signer.PublicKey().Marshal()) {
				t.Fatalf("request %q %q %q %v %q", user, service, method, hasSig, alg)
			}
			sig := new(ssh.Signature)
			if err := ssh.Unmarshal(sigBlob, sig); err != nil {
				t.Fatal(err)
			}
			if err := signer.PublicKey().Verify(signed, sig); err != nil {
				t.Fatalf("signature: %v", err)
			}
		})
	}

	t.Run("banners", func(t *testing.T) {
		var replies [][]byte
		for range 1000 {
			replies = append(replies, appendBanner(nil, "hello", "en"))
		}
		replies = append(replies, success)
		f := &fakeTransport{replies: [][][]byte{replies}}
		n := 0
		a := &Authenticator{Transport: f, User: "alice", Banner: func(m string) { n++ }}
		if err := a.Password("pw", nil); err != nil || n != 1000 {
			t.Fatalf("%v after %d banners", err, n)
		}
		// Without a callback banners are dropped.
		f = &fakeTransport{replies: [][][]byte{{appendBanner(nil, "hello", ""), success}}}
		if err := None(f, "alice"); err != nil {
			t.Fatal(err)
		}
	})
}
