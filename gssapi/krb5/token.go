package krb5

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/amiko-ssh/amiko/gssapi"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrDefectiveToken: a token from the acceptor is malformed
// (GSS_S_DEFECTIVE_TOKEN).
var ErrDefectiveToken = errors.New("krb5: defective token")

// Context token IDs (RFC 1964 section 1.1, RFC 4121 section 4.1).
var (
	tokAPReq    = [2]byte{0x01, 0x00}
	tokAPRep    = [2]byte{0x02, 0x00}
	tokKRBError = [2]byte{0x03, 0x00}
)

// tagGSSToken is RFC 2743 section 3.1's [APPLICATION 0] IMPLICIT
// SEQUENCE that frames the first token of a context.
const tagGSSToken = cbasn1.Tag(0x60)

// wrapToken frames a Kerberos message as a context token: [APPLICATION
// 0] { the mechanism OID, TOK_ID, the message } (RFC 1964 section 1.1).
// The acceptor's tokens are framed the same way (RFC 4121 section 4.1).
func wrapToken(id [2]byte, msg []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(tagGSSToken, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(gssapi.OIDKerberos5)
		b.AddBytes(id[:])
		b.AddBytes(msg)
	})
	return b.BytesOrPanic()
}

// unwrapToken undoes wrapToken, checking the framing and the OID.
func unwrapToken(tok []byte) (id [2]byte, msg []byte, err error) {
	s := cryptobyte.String(tok)
	var inner cryptobyte.String
	if !s.ReadASN1(&inner, tagGSSToken) || !s.Empty() {
		return id, nil, fmt.Errorf("%w: not a GSS-API [APPLICATION 0] token", ErrDefectiveToken)
	}
	var oid asn1.ObjectIdentifier
	if !inner.ReadASN1ObjectIdentifier(&oid) {
		return id, nil, fmt.Errorf("%w: no mechanism OID", ErrDefectiveToken)
	}
	if !oid.Equal(gssapi.OIDKerberos5) {
		return id, nil, fmt.Errorf("%w: mechanism %v, not Kerberos 5", ErrDefectiveToken, oid)
	}
	if !inner.CopyBytes(id[:]) {
		return id, nil, fmt.Errorf("%w: no token ID", ErrDefectiveToken)
	}
	return id, inner, nil
}
