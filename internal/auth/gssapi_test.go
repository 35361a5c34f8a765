package auth

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/gsstest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

var krb5OID, _ = asn1.Marshal(gssapi.OIDKerberos5)

func gssResponse(oid []byte) []byte {
	return wire.AppendString([]byte{msgUserauthGSSAPIResponse}, oid)
}

func gssToken(tok string) []byte {
	return wire.AppendString([]byte{msgUserauthGSSAPIToken}, []byte(tok))
}

func gssError(msg string) []byte {
	b := wire.AppendUint32([]byte{msgUserauthGSSAPIError}, 0xd0000)
	b = wire.AppendUint32(b, 7)
	b = wire.AppendText(b, msg)
	return wire.AppendText(b, "")
}

func TestGSSAPIWithMIC(t *testing.T) {
	ft := &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {gssToken("ap-rep")}, {success}}}
	m := &gsstest.Mechanism{}
	if err := GSSAPIWithMIC(t.Context(), ft, "alice", m, "host@server", true); err != nil {
		t.Fatal(err)
	}
	if m.Target != "host@server" || !m.Delegate {
		t.Fatalf("context for %q, delegate %v", m.Target, m.Delegate)
	}
	if len(ft.written) != 3 {
		t.Fatalf("%d messages written", len(ft.written))
	}
	// The request offers exactly the mechanism's OID.
	want := appendRequestHeader(nil, "alice", "gssapi-with-mic")
	want = wire.AppendString(wire.AppendUint32(want, 1), krb5OID)
	if !bytes.Equal(ft.written[0], want) {
		t.Fatalf("request % x", ft.written[0])
	}
	if !bytes.Equal(ft.written[1], gssToken("ap-req")) {
		t.Fatalf("token % x", ft.written[1])
	}
	// The MIC covers session id, USERAUTH_REQUEST, user, service and
	// method (RFC 4462 section 3.5).
	data := wire.AppendString(nil, ft.SessionID())
	data = append(data, wire.MsgUserauthRequest)
	data = wire.AppendText(data, "alice")
	data = wire.AppendText(data, "ssh-connection")
	data = wire.AppendText(data, "gssapi-with-mic")
	if !bytes.Equal(ft.written[2], wire.AppendString([]byte{msgUserauthGSSAPIMIC}, gsstest.MIC(data))) {
		t.Fatalf("MIC message % x", ft.written[2])
	}
}

func TestGSSAPIWithMICFailures(t *testing.T) {
	// The server does not do gssapi-with-mic.
	ft := &fakeTransport{replies: [][][]byte{{appendFailure([]string{"publickey"}, false)}}}
	var fe *FailureError
	if err := GSSAPIWithMIC(t.Context(), ft, "u", &gsstest.Mechanism{}, "host@s", false); !errors.As(err, &fe) || fe.Method != "gssapi-with-mic" {
		t.Fatalf("refused: %v", err)
	}
	// No credentials: a *GSSAPIError, and nothing sent, so the next
	// method's request is the first.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}}}
	err := GSSAPIWithMIC(t.Context(), ft, "u", &gsstest.Mechanism{InitErr: gssapi.ErrNoCredentials}, "host@s", false)
	var ge *GSSAPIError
	if !errors.As(err, &ge) || !errors.Is(err, gssapi.ErrNoCredentials) || len(ft.written) != 0 {
		t.Fatalf("no credentials: %v, %d written", err, len(ft.written))
	}
	// The server's GSS-API fails: its message is kept with its FAILURE.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {gssError("Unspecified GSS failure"), appendFailure([]string{"publickey"}, false)}}}
	err = GSSAPIWithMIC(t.Context(), ft, "u", &gsstest.Mechanism{}, "host@s", false)
	if !errors.As(err, &ge) || ge.Server != "Unspecified GSS failure" || !errors.As(err, &fe) {
		t.Fatalf("server error: %v", err)
	}
	// A mechanism the client did not offer.
	other, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2})
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(other)}}}
	if err := GSSAPIWithMIC(t.Context(), ft, "u", &gsstest.Mechanism{}, "host@s", false); !errors.As(err, new(*ProtocolError)) {
		t.Fatalf("another mechanism: %v", err)
	}
	// SUCCESS before the context is established.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {success}}}
	if err := GSSAPIWithMIC(t.Context(), ft, "u", &gsstest.Mechanism{}, "host@s", false); !errors.As(err, new(*ProtocolError)) {
		t.Fatalf("early success: %v", err)
	}
	// A bad acceptor token fails the mechanism.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {gssToken("forged")}}}
	if err := GSSAPIWithMIC(t.Context(), ft, "u", &gsstest.Mechanism{}, "host@s", false); !errors.Is(err, gssapi.ErrMutualFailed) {
		t.Fatalf("forged token: %v", err)
	}
}
