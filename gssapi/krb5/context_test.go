package krb5

import (
	"bytes"
	"errors"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The AP-REQ has what RFC 4121 section 4.1.1 and RFC 4462 need, and a
// correct AP-REP establishes the context; for every encryption type.
func TestAPReqAndAPRep(t *testing.T) {
	for _, et := range testEtypes {
		t.Run(et.name, func(t *testing.T) {
			c, a := establish(t, et.id, true)
			if !types.IsFlagSet(&a.apOptions, flags.APOptionMutualRequired) {
				t.Error("mutual-required is not set in ap-options")
			}
			if got, want := a.checksum.Flags, uint32(flagMutual|flagInteg|flagSequence); got != want {
				t.Errorf("GSS flags %#x, want %#x", got, want)
			}
			if a.checksum.Bindings != [16]byte{} || a.checksum.Deleg != nil {
				t.Errorf("checksum has bindings %x, credentials %x", a.checksum.Bindings, a.checksum.Deleg)
			}
			if a.auth.SubKey.KeyType != et.id || len(a.auth.SubKey.KeyValue) != keySizes[et.id] ||
				bytes.Equal(a.auth.SubKey.KeyValue, c.sessionKey.KeyValue) {
				t.Errorf("subkey %+v is not a fresh %s key", a.auth.SubKey, et.name)
			}
			if a.auth.SeqNumber < 0 || a.auth.SeqNumber >= 1<<30 {
				t.Errorf("sequence number %d", a.auth.SeqNumber)
			}
			if a.auth.CRealm != testClient.Realm || !a.auth.CName.Equal(testClient.Name) {
				t.Errorf("authenticator names %v@%s", a.auth.CName, a.auth.CRealm)
			}
			if c.Delegated() {
				t.Error("Delegated without a KRB-CRED")
			}
			if !c.hasAcceptorSubkey || c.recvSeq != uint64(a.seq) {
				t.Errorf("acceptor subkey %v, receive sequence %d", c.hasAcceptorSubkey, c.recvSeq)
			}
		})
	}
}

// Two AP-REQs differ in subkey and sequence number.
func TestAPReqFresh(t *testing.T) {
	_, a1 := establish(t, 18, true)
	_, a2 := establish(t, 18, true)
	if bytes.Equal(a1.auth.SubKey.KeyValue, a2.auth.SubKey.KeyValue) || a1.auth.SeqNumber == a2.auth.SeqNumber {
		t.Fatal("two contexts share a subkey or a sequence number")
	}
}

func TestAPReqCarriesKRBCred(t *testing.T) {
	c := newTestContext(t, 18)
	c.krbCred = []byte("a KRB-CRED")
	a := newTestAcceptor(t, c, true)
	out, _, err := c.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	a.readAPReq(out)
	if a.checksum.Flags&flagDeleg == 0 || !bytes.Equal(a.checksum.Deleg, []byte("a KRB-CRED")) {
		t.Fatalf("checksum flags %#x, credentials %q", a.checksum.Flags, a.checksum.Deleg)
	}
	if !c.Delegated() {
		t.Fatal("Delegated is false")
	}
}

// An AP-REP that does not prove the acceptor's knowledge of the session
// key, or answers another authenticator, fails mutual authentication.
func TestAPRepMutualFailure(t *testing.T) {
	cases := map[string]func(a *testAcceptor) []byte{
		"other authenticator time": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime.Add(-1e9), Cusec: a.auth.Cusec}, a.sessionKey)
		},
		"other microseconds": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: (a.auth.Cusec + 1) % 1000000}, a.sessionKey)
		},
		"wrong key": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec}, randomKey(t, 18))
		},
		"encrypted in the subkey": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec}, a.auth.SubKey)
		},
		"other encryption type": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec}, randomKey(t, 17))
		},
		"bad acceptor subkey": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec,
				Subkey: types.EncryptionKey{KeyType: 23, KeyValue: make([]byte, 16)}}, a.sessionKey)
		},
		"short acceptor subkey": func(a *testAcceptor) []byte {
			return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec,
				Subkey: types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 16)}}, a.sessionKey)
		},
		"not an AP-REP": func(a *testAcceptor) []byte {
			return wrapToken(tokAPRep, []byte{0x30, 0x00})
		},
		"AP-REQ token ID": func(a *testAcceptor) []byte {
			return wrapToken(tokAPReq, []byte{0x30, 0x00})
		},
		"unframed": func(a *testAcceptor) []byte { return []byte("hello") },
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			c := newTestContext(t, 18)
			a := newTestAcceptor(t, c, true)
			out, _, _ := c.Step(nil)
			a.readAPReq(out)
			_, done, err := c.Step(reply(a))
			if !errors.Is(err, gssapi.ErrMutualFailed) || done {
				t.Fatalf("done %v, err = %v, want ErrMutualFailed", done, err)
			}
			if _, err := c.GetMIC([]byte("x")); err == nil {
				t.Fatal("GetMIC works on a failed context")
			}
			if _, _, err := c.Step(a.reply()); err == nil {
				t.Fatal("a failed context takes another token")
			}
		})
	}
}

// Every ciphertext length, however short, is refused without a panic
// (gokrb5's decryption slices before it checks).
func TestAPRepShortCiphertexts(t *testing.T) {
	for _, et := range testEtypes {
		for n := 0; n < 64; n++ {
			c := newTestContext(t, et.id)
			a := newTestAcceptor(t, c, true)
			out, _, _ := c.Step(nil)
			a.readAPReq(out)
			_, _, err := c.Step(a.frameAPRep(types.EncryptedData{EType: et.id, Cipher: make([]byte, n)}))
			if !errors.Is(err, gssapi.ErrMutualFailed) {
				t.Fatalf("%s, %d bytes: %v", et.name, n, err)
			}
		}
	}
}

// The acceptor's KRB-ERROR token (TOK_ID 03 00) is its refusal, with
// the error in the chain.
func TestAPRepKRBError(t *testing.T) {
	for code, want := range map[int32]error{
		errorcode.KRB_AP_ERR_TKT_EXPIRED: gssapi.ErrExpired,
		errorcode.KRB_AP_ERR_MODIFIED:    nil,
	} {
		c := newTestContext(t, 18)
		c.Step(nil)
		kerr := messages.NewKRBError(testServer.Name, testServer.Realm, code, "refused")
		b, err := kerr.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Step(wrapToken(tokKRBError, b))
		var got messages.KRBError
		if !errors.As(err, &got) || got.ErrorCode != code {
			t.Fatalf("code %d: err = %v", code, err)
		}
		if want != nil && !errors.Is(err, want) {
			t.Fatalf("code %d: err = %v, want %v", code, err, want)
		}
	}
}

// A sequence number MIT encodes as a negative INTEGER is read as the
// unsigned 32-bit number it is.
func TestAPRepNegativeSequenceNumber(t *testing.T) {
	c := newTestContext(t, 18)
	a := newTestAcceptor(t, c, true)
	out, _, _ := c.Step(nil)
	a.readAPReq(out)
	if _, _, err := c.Step(a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec, Subkey: a.subkey, SequenceNumber: -2}, a.sessionKey)); err != nil {
		t.Fatal(err)
	}
	if c.recvSeq != 0xfffffffe {
		t.Fatalf("receive sequence %#x", c.recvSeq)
	}
}

func TestContextOrder(t *testing.T) {
	c := newTestContext(t, 18)
	if _, _, err := c.Step([]byte{1}); err == nil {
		t.Error("Step took a token before sending the AP-REQ")
	}
	c = newTestContext(t, 18)
	if _, err := c.GetMIC(nil); err == nil {
		t.Error("GetMIC before establishment")
	}
	if err := c.VerifyMIC(nil, nil); err == nil {
		t.Error("VerifyMIC before establishment")
	}
	c, a := establish(t, 18, true)
	if _, done, err := c.Step(a.reply()); err == nil || !done {
		t.Errorf("Step after establishment: done %v, %v", done, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetMIC([]byte("x")); err == nil {
		t.Error("GetMIC after Close")
	}
	if !bytes.Equal(c.sessionKey.KeyValue, make([]byte, len(c.sessionKey.KeyValue))) {
		t.Error("Close left the session key")
	}
}
