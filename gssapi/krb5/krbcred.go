package krb5

import (
	"context"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Delegation (RFC 4121 section 4.1.1.1): the initiator asks the KDC for
// a forwarded copy of its TGT and sends it, in a KRB-CRED (RFC 4120
// section 5.8), inside the authenticator's checksum. gokrb5 has no
// KRB-CRED encoder, and its decoder's KrbCredInfo tags srealm as an
// IA5String where RFC 4120 has a GeneralString, which MIT's decoder
// refuses; so the messages are declared here.

// krbCredInfo is RFC 4120's KrbCredInfo.
type krbCredInfo struct {
	Key       types.EncryptionKey `asn1:"explicit,tag:0"`
	PRealm    string              `asn1:"generalstring,optional,explicit,tag:1"`
	PName     types.PrincipalName `asn1:"optional,explicit,tag:2"`
	Flags     asn1.BitString      `asn1:"optional,explicit,tag:3"`
	AuthTime  time.Time           `asn1:"generalized,optional,explicit,tag:4"`
	StartTime time.Time           `asn1:"generalized,optional,explicit,tag:5"`
	EndTime   time.Time           `asn1:"generalized,optional,explicit,tag:6"`
	RenewTill time.Time           `asn1:"generalized,optional,explicit,tag:7"`
	SRealm    string              `asn1:"generalstring,optional,explicit,tag:8"`
	SName     types.PrincipalName `asn1:"optional,explicit,tag:9"`
}

// encKrbCredPart is RFC 4120's EncKrbCredPart without the optional
// nonce, timestamp and addresses, which MIT's initiator leaves out too
// (the acceptor does no replay or address check on it).
type encKrbCredPart struct {
	TicketInfo []krbCredInfo `asn1:"explicit,tag:0"`
}

// krbCred is RFC 4120's KRB-CRED. Its tickets, [2] SEQUENCE OF Ticket,
// are built by hand, [2] included: encoding/asn1 (and gofork's copy)
// writes a RawValue as it is, ignoring the field's explicit tag.
type krbCred struct {
	PVNO    int                 `asn1:"explicit,tag:0"`
	MsgType int                 `asn1:"explicit,tag:1"`
	Tickets asn1.RawValue       // [2] SEQUENCE OF Ticket
	EncPart types.EncryptedData `asn1:"explicit,tag:3"`
}

// forwardTGT asks the KDC for a forwarded (and again forwardable) copy
// of the TGT, renewable as long as the TGT is, as MIT's
// krb5_fwd_tgt_creds does. The ticket has no addresses, so it is good
// on the server.
func (m *mechanism) forwardTGT(ctx context.Context, client principal, tgt credential) (*ticket, error) {
	opts := []int{flags.Forwardable, flags.Forwarded}
	var renewTill time.Time
	if tgt.Flags&flagRenewable != 0 && !tgt.RenewTill.IsZero() {
		opts = append(opts, flags.Renewable)
		renewTill = tgt.RenewTill
	}
	return m.tgsExchange(ctx, client, tgt, tgt.Server, opts, renewTill)
}

// makeKRBCred wraps the forwarded TGT in a KRB-CRED encrypted in key,
// the service ticket's session key (key usage 14), which is what MIT's
// initiator does and what its acceptor decrypts with when the KRB-CRED
// does not decrypt with the initiator's subkey.
func makeKRBCred(fwd *ticket, key types.EncryptionKey) ([]byte, error) {
	p := fwd.Part
	info := krbCredInfo{
		Key:       p.Key,
		PRealm:    fwd.Client.Realm,
		PName:     fwd.Client.Name,
		Flags:     p.Flags,
		AuthTime:  p.AuthTime.UTC(),
		StartTime: p.StartTime.UTC(),
		EndTime:   p.EndTime.UTC(),
		RenewTill: p.RenewTill.UTC(),
		SRealm:    p.SRealm,
		SName:     p.SName,
	}
	part, err := asn1.Marshal(encKrbCredPart{TicketInfo: []krbCredInfo{info}})
	if err != nil {
		return nil, err
	}
	part = asn1tools.AddASNAppTag(part, asnAppTag.EncKrbCredPart)
	enc, err := crypto.GetEncryptedData(part, key, keyusage.KRB_CRED_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	tickets, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: fwd.Raw})
	if err != nil {
		return nil, err
	}
	cred, err := asn1.Marshal(krbCred{
		PVNO:    iana.PVNO,
		MsgType: msgtype.KRB_CRED,
		Tickets: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: tickets},
		EncPart: enc,
	})
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(cred, asnAppTag.KRBCred), nil
}
