package krb5

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The TGS exchange (RFC 4120 section 3.3) is driven here from gokrb5's
// message types rather than through its client: that client, built from
// a ccache, tries to log in again (which needs a password) once the TGT
// is in the last sixth of its life, sets KDC options only from
// krb5.conf (a forwarded TGT needs FORWARDED), and loses the KDC's error
// code.

// ticket is a ticket obtained from the KDC with its decrypted reply part.
type ticket struct {
	Ticket messages.Ticket
	Raw    []byte // Ticket, DER
	Client principal
	Server principal
	Part   messages.EncKDCRepPart
}

// tgsExchange asks the KDC of the TGT's realm for a ticket to server,
// with the KDC options opts (RFC 4120 KDCOptions bit numbers) and, if
// renewTill is set, a renewable lifetime.
func (m *mechanism) tgsExchange(ctx context.Context, client principal, tgt credential, server principal, opts []int, renewTill time.Time) (*ticket, error) {
	var tgtTicket messages.Ticket
	if err := tgtTicket.Unmarshal(tgt.Ticket); err != nil {
		return nil, fmt.Errorf("krb5: the TGT in the credential cache does not parse: %w: %w", gssapi.ErrNoCredentials, err)
	}
	nonce, err := rand.Int(rand.Reader, big.NewInt(1<<31-1))
	if err != nil {
		return nil, err
	}
	body := messages.KDCReqBody{
		KDCOptions: types.NewKrbFlags(),
		Realm:      server.Realm,
		SName:      server.Name,
		Till:       tgt.EndTime,
		Nonce:      int(nonce.Int64()),
		EType:      m.etypes,
	}
	for _, o := range opts {
		types.SetFlag(&body.KDCOptions, o)
	}
	if !renewTill.IsZero() {
		body.RTime = renewTill
	}
	pa, err := tgsAuthenticator(client, tgtTicket, tgt.Key, body)
	if err != nil {
		return nil, err
	}
	req := messages.TGSReq{KDCReqFields: messages.KDCReqFields{
		PVNO:    iana.PVNO,
		MsgType: msgtype.KRB_TGS_REQ,
		PAData:  types.PADataSequence{{PADataType: patype.PA_TGS_REQ, PADataValue: pa}},
		ReqBody: body,
	}}
	b, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	reply, err := m.exchange(ctx, client.Realm, b)
	if err != nil {
		return nil, err
	}
	if kerr, ok := asKRBError(reply); ok {
		return nil, kdcError(server, kerr)
	}
	var rep messages.TGSRep
	if err := rep.Unmarshal(reply); err != nil {
		return nil, fmt.Errorf("krb5: the KDC's reply for %s does not parse: %w", server, err)
	}
	if err := rep.DecryptEncPart(tgt.Key); err != nil {
		return nil, fmt.Errorf("krb5: the KDC's reply for %s does not decrypt with the TGT's session key: %w", server, err)
	}
	part := rep.DecryptedEncPart
	switch {
	case part.Nonce != body.Nonce:
		return nil, fmt.Errorf("krb5: the KDC's reply for %s has the wrong nonce", server)
	case rep.CRealm != client.Realm || !rep.CName.Equal(client.Name):
		return nil, fmt.Errorf("krb5: the KDC's reply for %s names another client", server)
	case part.SRealm != server.Realm || !part.SName.Equal(server.Name) ||
		rep.Ticket.Realm != server.Realm || !rep.Ticket.SName.Equal(server.Name):
		// A referral (another realm's krbtgt) lands here too.
		return nil, fmt.Errorf("krb5: the KDC answered for %s@%s, not %s: %w",
			part.SName.PrincipalNameString(), part.SRealm, server, errCrossRealm)
	case !supportedEtype(part.Key.KeyType):
		return nil, fmt.Errorf("krb5: the session key for %s has encryption type %d, which the pure-Go mechanism does not support (only AES, RFC 3962 and RFC 8009)", server, part.Key.KeyType)
	}
	raw, err := rep.Ticket.Marshal()
	if err != nil {
		return nil, err
	}
	return &ticket{Ticket: rep.Ticket, Raw: raw, Client: client, Server: server, Part: part}, nil
}

// tgsAuthenticator is the PA-TGS-REQ: an AP-REQ with the TGT whose
// authenticator carries a checksum over the request body.
func tgsAuthenticator(client principal, tgt messages.Ticket, key types.EncryptionKey, body messages.KDCReqBody) ([]byte, error) {
	bb, err := body.Marshal()
	if err != nil {
		return nil, err
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("krb5: the TGT's session key: %w", err)
	}
	sum, err := et.GetChecksumHash(key.KeyValue, bb, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM)
	if err != nil {
		return nil, err
	}
	auth, err := types.NewAuthenticator(client.Realm, client.Name)
	if err != nil {
		return nil, err
	}
	auth.Cksum = types.Checksum{CksumType: et.GetHashID(), Checksum: sum}
	apreq, err := messages.NewAPReq(tgt, key, auth)
	if err != nil {
		return nil, err
	}
	return apreq.Marshal()
}

// kdcError maps the KDC's KRB-ERROR to the gssapi errors.
func kdcError(server principal, e messages.KRBError) error {
	var kind error
	switch e.ErrorCode {
	case errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN:
		kind = gssapi.ErrUnknownServer
	case errorcode.KRB_AP_ERR_TKT_EXPIRED:
		kind = gssapi.ErrExpired
	case errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, errorcode.KDC_ERR_CLIENT_REVOKED:
		kind = gssapi.ErrNoCredentials
	default:
		return fmt.Errorf("krb5: the KDC refused a ticket for %s: %w", server, e)
	}
	return fmt.Errorf("krb5: the KDC refused a ticket for %s: %w: %w", server, kind, e)
}

// supportedEtype: the encryption types whose GSS-API tokens are RFC
// 4121's, which is all this mechanism makes. DES3 and RC4 use the older
// RFC 1964 and RFC 4757 token formats.
func supportedEtype(etype int32) bool {
	_, ok := keySizes[etype]
	return ok
}

// keySizes are the key lengths of the supported encryption types, for
// making subkeys. gokrb5's GetKeyByteSize says 24 for
// aes256-cts-hmac-sha384-192, whose keys are 32 bytes (RFC 8009).
var keySizes = map[int32]int{
	17: 16, // aes128-cts-hmac-sha1-96
	18: 32, // aes256-cts-hmac-sha1-96
	19: 16, // aes128-cts-hmac-sha256-128
	20: 32, // aes256-cts-hmac-sha384-192
}

// defaultEtypes is MIT's default order of the supported types.
var defaultEtypes = []int32{18, 17, 20, 19}

// requestEtypes keeps the supported types of krb5.conf's list, in its
// order, or the default when none is left.
func requestEtypes(conf []int32) []int32 {
	var out []int32
	for _, e := range conf {
		if supportedEtype(e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return defaultEtypes
	}
	return out
}
