package krb5

import (
	"bytes"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The KRB-CRED decodes as RFC 4120 section 5.8 has it: [APPLICATION
// 22], one ticket, an EncKrbCredPart ([APPLICATION 29]) in the session
// key with key usage 14, realms as GeneralStrings.
func TestMakeKRBCred(t *testing.T) {
	krbtgt := principal{Realm: "EXAMPLE.ORG", Name: types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", "EXAMPLE.ORG"}}}
	tkt := messages.Ticket{TktVNO: 5, Realm: krbtgt.Realm, SName: krbtgt.Name,
		EncPart: types.EncryptedData{EType: 18, KVNO: 1, Cipher: bytes.Repeat([]byte{9}, 80)}}
	raw, err := tkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	fl := types.NewKrbFlags()
	types.SetFlag(&fl, 1)
	types.SetFlag(&fl, 2)
	fwd := &ticket{Ticket: tkt, Raw: raw, Client: testClient, Server: krbtgt, Part: messages.EncKDCRepPart{
		Key: randomKey(t, 18), Flags: fl, AuthTime: now.Add(-time.Hour), StartTime: now, EndTime: now.Add(time.Hour),
		SRealm: krbtgt.Realm, SName: krbtgt.Name}}
	sessionKey := randomKey(t, 17)
	b, err := makeKRBCred(fwd, sessionKey)
	if err != nil {
		t.Fatal(err)
	}

	// The framing is read with cryptobyte, not with the structs that
	// wrote it, so that a tag they both get wrong shows.
	s := cryptobyte.String(b)
	var cred, seq, f cryptobyte.String
	var pvno, msgType int
	if !s.ReadASN1(&cred, cbasn1.Tag(22|0x40).Constructed()) || !s.Empty() ||
		!cred.ReadASN1(&seq, cbasn1.SEQUENCE) || !cred.Empty() ||
		!seq.ReadASN1(&f, cbasn1.Tag(0).ContextSpecific().Constructed()) || !f.ReadASN1Integer(&pvno) ||
		!seq.ReadASN1(&f, cbasn1.Tag(1).ContextSpecific().Constructed()) || !f.ReadASN1Integer(&msgType) {
		t.Fatalf("KRB-CRED header: %x", b)
	}
	if pvno != 5 || msgType != 22 {
		t.Errorf("pvno %d, msg-type %d", pvno, msgType)
	}
	var tickets, one cryptobyte.String
	if !seq.ReadASN1(&f, cbasn1.Tag(2).ContextSpecific().Constructed()) || !f.ReadASN1(&tickets, cbasn1.SEQUENCE) ||
		!tickets.ReadASN1Element(&one, cbasn1.Tag(1|0x40).Constructed()) || !tickets.Empty() || !bytes.Equal(one, raw) {
		t.Fatalf("KRB-CRED tickets: %x", b)
	}
	var encPart types.EncryptedData
	if !seq.ReadASN1(&f, cbasn1.Tag(3).ContextSpecific().Constructed()) || !seq.Empty() {
		t.Fatalf("KRB-CRED enc-part: %x", b)
	}
	if _, err := asn1.Unmarshal(f, &encPart); err != nil || encPart.EType != 17 {
		t.Fatalf("enc-part %+v: %v", encPart, err)
	}
	pt, err := crypto.DecryptEncPart(encPart, sessionKey, keyusage.KRB_CRED_ENCPART)
	if err != nil {
		t.Fatal(err)
	}
	var part encKrbCredPart
	if _, err := asn1.UnmarshalWithParams(pt, &part, "application,explicit,tag:29"); err != nil {
		t.Fatal(err)
	}
	if len(part.TicketInfo) != 1 {
		t.Fatalf("%d ticket infos", len(part.TicketInfo))
	}
	info := part.TicketInfo[0]
	if !bytes.Equal(info.Key.KeyValue, fwd.Part.Key.KeyValue) || info.PRealm != "EXAMPLE.ORG" || !info.PName.Equal(testClient.Name) ||
		info.SRealm != "EXAMPLE.ORG" || !info.SName.Equal(krbtgt.Name) || !info.EndTime.Equal(now.Add(time.Hour)) ||
		!info.RenewTill.IsZero() || !bytes.Equal(info.Flags.Bytes, fl.Bytes) {
		t.Errorf("KrbCredInfo %+v", info)
	}
	// srealm, [8], holds a GeneralString (tag 27), not an IA5String.
	if i := bytes.Index(pt, []byte{0xa8, 0x0d, 0x1b, 0x0b}); i < 0 {
		t.Errorf("srealm is not [8] GeneralString \"EXAMPLE.ORG\" in %x", pt)
	}
}
