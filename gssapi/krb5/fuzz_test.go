package krb5

import (
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Every decoder of bytes from outside (the acceptor's tokens, the
// credential cache) has a fuzz target here; each must return an error
// rather than panic.

func FuzzUnwrapToken(f *testing.F) {
	f.Add(wrapToken(tokAPRep, []byte{0x6f, 0}))
	f.Add(wrapToken(tokKRBError, make([]byte, 200)))
	f.Add([]byte{0x60, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, msg, err := unwrapToken(b)
		if err == nil && len(msg) > len(b) {
			t.Fatalf("message %x of %d bytes from a token of %d", id, len(msg), len(b))
		}
	})
}

func FuzzGSSChecksum(f *testing.F) {
	b, _ := gssChecksum{Flags: flagDeleg | flagMutual, Deleg: []byte("cred")}.marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseGSSChecksum(b)
		if err != nil {
			return
		}
		again, err := c.marshal()
		if err != nil || len(again) > len(b) {
			t.Fatalf("re-encoding %+v: %x, %v", c, again, err)
		}
	})
}

func FuzzParseCCache(f *testing.F) {
	tgt := credential{Client: testClient, Server: testServer, Key: types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
		EndTime: time.Unix(1<<31, 0), Ticket: []byte{0x61, 0}}
	f.Add(makeCCache(testClient, tgt))
	f.Add(makeCCache(testClient))
	f.Fuzz(func(t *testing.T, b []byte) {
		cc, err := parseCCache(b)
		if err == nil {
			cc.tgt()
		}
	})
}

// FuzzStepAPRep feeds the acceptor's answer to a context that sent its
// AP-REQ: the token framing, the AP-REP's DER, the decryption (the seeds
// carry ciphertexts of every length) and the KRB-ERROR decoder.
func FuzzStepAPRep(f *testing.F) {
	c := newTestContext(f, 18)
	a := newTestAcceptor(f, c, true)
	out, _, _ := c.Step(nil)
	a.readAPReq(out)
	f.Add(a.reply())
	for n := range 40 {
		f.Add(a.frameAPRep(types.EncryptedData{EType: 18, Cipher: make([]byte, n)}))
	}
	kerr := messages.NewKRBError(testServer.Name, testServer.Realm, 41, "x")
	kb, _ := kerr.Marshal()
	f.Add(wrapToken(tokKRBError, kb))
	key, ctime, cusec := c.sessionKey, c.ctime, c.cusec
	f.Fuzz(func(t *testing.T, tok []byte) {
		c := newTestContext(t, 18)
		c.sessionKey = types.EncryptionKey{KeyType: 18, KeyValue: append([]byte(nil), key.KeyValue...)}
		c.ctime, c.cusec, c.state = ctime, cusec, stateSent
		c.Step(tok)
	})
}

func FuzzVerifyMIC(f *testing.F) {
	_, a := establish(f, 18, true)
	f.Add([]byte("m"), a.mic([]byte("m"), uint64(a.seq)))
	f.Add([]byte{}, make([]byte, 16))
	f.Fuzz(func(t *testing.T, msg, mic []byte) {
		c, _ := establish(t, 18, true)
		c.VerifyMIC(msg, mic)
	})
}
