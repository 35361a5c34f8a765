package krb5

import (
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	krbgss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The encryption types the mechanism supports, by name for subtests.
var testEtypes = []struct {
	name string
	id   int32
}{
	{"aes128-cts-hmac-sha1-96", 17},
	{"aes256-cts-hmac-sha1-96", 18},
	{"aes128-cts-hmac-sha256-128", 19},
	{"aes256-cts-hmac-sha384-192", 20},
}

var (
	testClient = principal{Realm: "EXAMPLE.ORG", Name: types.PrincipalName{NameType: nametype.KRB_NT_PRINCIPAL, NameString: []string{"alice"}}}
	testServer = principal{Realm: "EXAMPLE.ORG", Name: types.PrincipalName{NameType: nametype.KRB_NT_SRV_HST, NameString: []string{"host", "server.example.org"}}}
)

func randomKey(t testing.TB, etype int32) types.EncryptionKey {
	k := make([]byte, keySizes[etype])
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return types.EncryptionKey{KeyType: etype, KeyValue: k}
}

// newTestContext is a context as InitSecContext leaves it, with a
// service ticket whose encrypted part is noise: the test acceptor knows
// the session key without it.
func newTestContext(t testing.TB, etype int32) *secContext {
	t.Helper()
	noise := make([]byte, 64)
	rand.Read(noise)
	tkt := messages.Ticket{TktVNO: 5, Realm: testServer.Realm, SName: testServer.Name,
		EncPart: types.EncryptedData{EType: etype, KVNO: 2, Cipher: noise}}
	raw, err := tkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	key := randomKey(t, etype)
	return &secContext{client: testClient, sessionKey: key,
		service: &ticket{Ticket: tkt, Raw: raw, Client: testClient, Server: testServer,
			Part: messages.EncKDCRepPart{Key: key}}}
}

// testAcceptor plays the acceptor's part of RFC 4121 with gokrb5's
// pieces, knowing the session key.
type testAcceptor struct {
	t          testing.TB
	sessionKey types.EncryptionKey
	subkey     types.EncryptionKey // the acceptor's; none if KeyType is 0
	seq        uint32              // the AP-REP's sequence number

	// What it read from the AP-REQ.
	apOptions asn1.BitString
	auth      types.Authenticator
	checksum  gssChecksum
}

func newTestAcceptor(t testing.TB, c *secContext, withSubkey bool) *testAcceptor {
	a := &testAcceptor{t: t, sessionKey: c.sessionKey, seq: 0x12345678}
	if withSubkey {
		a.subkey = randomKey(t, c.sessionKey.KeyType)
	}
	return a
}

// readAPReq decrypts the AP-REQ's authenticator and parses its checksum.
func (a *testAcceptor) readAPReq(tok []byte) {
	a.t.Helper()
	id, msg, err := unwrapToken(tok)
	if err != nil || id != tokAPReq {
		a.t.Fatalf("AP-REQ token: id %x, %v", id, err)
	}
	var req messages.APReq
	if err := req.Unmarshal(msg); err != nil {
		a.t.Fatal(err)
	}
	if err := req.DecryptAuthenticator(a.sessionKey); err != nil {
		a.t.Fatal(err)
	}
	a.apOptions = req.APOptions
	a.auth = req.Authenticator
	if a.auth.Cksum.CksumType != checksumTypeGSS {
		a.t.Fatalf("authenticator checksum type %#x", a.auth.Cksum.CksumType)
	}
	if a.checksum, err = parseGSSChecksum(a.auth.Cksum.Checksum); err != nil {
		a.t.Fatal(err)
	}
}

// encAPRepPart is EncAPRepPart for encoding (gokrb5 only decodes it).
type encAPRepPart struct {
	CTime          time.Time           `asn1:"generalized,explicit,tag:0"`
	Cusec          int                 `asn1:"explicit,tag:1"`
	Subkey         types.EncryptionKey `asn1:"optional,explicit,tag:2"`
	SequenceNumber int64               `asn1:"optional,explicit,tag:3"`
}

// apRep is the framed AP-REP for part, encrypted in key.
func (a *testAcceptor) apRep(part encAPRepPart, key types.EncryptionKey) []byte {
	a.t.Helper()
	b, err := asn1.Marshal(part)
	if err != nil {
		a.t.Fatal(err)
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncAPRepPart)
	enc, err := crypto.GetEncryptedData(b, key, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.frameAPRep(enc)
}

func (a *testAcceptor) frameAPRep(enc types.EncryptedData) []byte {
	a.t.Helper()
	b, err := asn1.Marshal(messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: enc})
	if err != nil {
		a.t.Fatal(err)
	}
	return wrapToken(tokAPRep, asn1tools.AddASNAppTag(b, asnAppTag.APREP))
}

// reply is the AP-REP a correct acceptor sends.
func (a *testAcceptor) reply() []byte {
	return a.apRep(encAPRepPart{CTime: a.auth.CTime, Cusec: a.auth.Cusec, Subkey: a.subkey, SequenceNumber: int64(a.seq)}, a.sessionKey)
}

// micKey is the key the acceptor's MICs use, with its flags.
func (a *testAcceptor) micKey() (types.EncryptionKey, byte) {
	if a.subkey.KeyType != 0 {
		return a.subkey, krbgss.MICTokenFlagSentByAcceptor | krbgss.MICTokenFlagAcceptorSubkey
	}
	return a.auth.SubKey, krbgss.MICTokenFlagSentByAcceptor
}

// mic is the acceptor's MIC over msg with sequence number seq.
func (a *testAcceptor) mic(msg []byte, seq uint64) []byte {
	a.t.Helper()
	key, fl := a.micKey()
	tok := krbgss.MICToken{Flags: fl, SndSeqNum: seq, Payload: nonNil(msg)}
	if err := tok.SetChecksum(key, keyusage.GSSAPI_ACCEPTOR_SIGN); err != nil {
		a.t.Fatal(err)
	}
	b, err := tok.Marshal()
	if err != nil {
		a.t.Fatal(err)
	}
	return b
}

// verifyMIC checks the initiator's MIC as an acceptor would.
func (a *testAcceptor) verifyMIC(msg, mic []byte, seq uint64) {
	a.t.Helper()
	var tok krbgss.MICToken
	if err := tok.Unmarshal(mic, false); err != nil {
		a.t.Fatal(err)
	}
	key, fl := a.micKey()
	if want := fl &^ krbgss.MICTokenFlagSentByAcceptor; tok.Flags != want {
		a.t.Fatalf("initiator MIC flags %#x, want %#x", tok.Flags, want)
	}
	if tok.SndSeqNum != seq {
		a.t.Fatalf("initiator MIC sequence number %d, want %d", tok.SndSeqNum, seq)
	}
	tok.Payload = nonNil(msg)
	if ok, err := tok.Verify(key, keyusage.GSSAPI_INITIATOR_SIGN); !ok {
		a.t.Fatalf("initiator MIC does not verify: %v", err)
	}
}

// establish runs the context's exchange with a test acceptor.
func establish(t testing.TB, etype int32, withSubkey bool) (*secContext, *testAcceptor) {
	t.Helper()
	c := newTestContext(t, etype)
	a := newTestAcceptor(t, c, withSubkey)
	out, done, err := c.Step(nil)
	if err != nil || done {
		t.Fatalf("first Step: done %v, %v", done, err)
	}
	a.readAPReq(out)
	out, done, err = c.Step(a.reply())
	if err != nil || !done || out != nil {
		t.Fatalf("second Step: out %x, done %v, %v", out, done, err)
	}
	return c, a
}

// ccacheWriter writes a version 4 FILE credential cache, as kinit does.
type ccacheWriter struct{ b []byte }

func (w *ccacheWriter) u8(v uint8)   { w.b = append(w.b, v) }
func (w *ccacheWriter) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *ccacheWriter) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *ccacheWriter) data(d []byte) {
	w.u32(uint32(len(d)))
	w.b = append(w.b, d...)
}
func (w *ccacheWriter) principal(p principal) {
	w.u32(uint32(p.Name.NameType))
	w.u32(uint32(len(p.Name.NameString)))
	w.data([]byte(p.Realm))
	for _, s := range p.Name.NameString {
		w.data([]byte(s))
	}
}

func (w *ccacheWriter) credential(c credential) {
	w.principal(c.Client)
	w.principal(c.Server)
	w.u16(uint16(c.Key.KeyType))
	w.data(c.Key.KeyValue)
	for _, t := range []time.Time{c.AuthTime, c.StartTime, c.EndTime, c.RenewTill} {
		if t.IsZero() {
			w.u32(0)
		} else {
			w.u32(uint32(t.Unix()))
		}
	}
	w.u8(0)
	w.u32(c.Flags)
	w.u32(1) // one address
	w.u16(2)
	w.data([]byte{127, 0, 0, 1})
	w.u32(0) // no authorization data
	w.data(c.Ticket)
	w.data(nil)
}

func makeCCache(def principal, creds ...credential) []byte {
	w := &ccacheWriter{b: []byte{5, 4}}
	w.u16(12) // header: the KDC time offset tag
	w.u16(1)
	w.u16(8)
	w.u32(0)
	w.u32(0)
	w.principal(def)
	for _, c := range creds {
		w.credential(c)
	}
	return w.b
}

// testTGT is a credential for krbtgt/EXAMPLE.ORG whose ticket parses.
func testTGT(t testing.TB, end time.Time, fl uint32) credential {
	t.Helper()
	krbtgt := principal{Realm: testClient.Realm, Name: types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", testClient.Realm}}}
	tkt := messages.Ticket{TktVNO: 5, Realm: krbtgt.Realm, SName: krbtgt.Name,
		EncPart: types.EncryptedData{EType: 18, KVNO: 1, Cipher: make([]byte, 48)}}
	raw, err := tkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	return credential{Client: testClient, Server: krbtgt, Key: randomKey(t, 18),
		AuthTime: now.Add(-time.Hour), StartTime: now.Add(-time.Hour), EndTime: end, Flags: fl, Ticket: raw}
}
