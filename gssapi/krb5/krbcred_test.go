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

	var cred krbCred
	rest, err := asn1.UnmarshalWithParams(b, &cred, "application,explicit,tag:22")
	if err != nil || len(rest) != 0 {
		t.Fatalf("KRB-CRED: %v, %d bytes left", err, len(rest))
	}
	if cred.PVNO != 5 || cred.MsgType != 22 {
		t.Errorf("pvno %d, msg-type %d", cred.PVNO, cred.MsgType)
	}
	if cred.Tickets.Tag != asn1.TagSequence || !bytes.Equal(cred.Tickets.Bytes, raw) {
		t.Errorf("tickets: tag %d, %x", cred.Tickets.Tag, cred.Tickets.Bytes)
	}
	if cred.EncPart.EType != 17 {
		t.Errorf("enc-part type %d", cred.EncPart.EType)
	}
	pt, err := crypto.DecryptEncPart(cred.EncPart, sessionKey, keyusage.KRB_CRED_ENCPART)
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
