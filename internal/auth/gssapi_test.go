package auth

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// fakeMech is a one-round-trip mechanism: it sends "ap-req", needs
// "ap-rep" back, and its MIC is "mic:" and the data.
type fakeMech struct {
	initErr  error
	target   string
	delegate bool
}

func (m *fakeMech) OID() asn1.ObjectIdentifier { return gssapi.OIDKerberos5 }

func (m *fakeMech) InitSecContext(target string, o gssapi.ContextOptions) (gssapi.Context, error) {
	m.target, m.delegate = target, o.Delegate
	if m.initErr != nil {
		return nil, m.initErr
	}
	return &fakeContext{}, nil
}

type fakeContext struct{ steps int }

func (c *fakeContext) Step(in []byte) ([]byte, bool, error) {
	c.steps++
	switch {
	case c.steps == 1 && in == nil:
		return []byte("ap-req"), false, nil
	case c.steps == 2 && string(in) == "ap-rep":
		return nil, true, nil
	}
	return nil, false, gssapi.ErrMutualFailed
}

func (c *fakeContext) GetMIC(msg []byte) ([]byte, error) { return append([]byte("mic:"), msg...), nil }
func (c *fakeContext) VerifyMIC(msg, mic []byte) error  { return nil }
func (c *fakeContext) Delegated() bool                  { return false }
func (c *fakeContext) Close() error                     { return nil }

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
	m := &fakeMech{}
	if err := GSSAPIWithMIC(ft, "alice", m, "host@server", true); err != nil {
		t.Fatal(err)
	}
	if m.target != "host@server" || !m.delegate {
		t.Fatalf("context for %q, delegate %v", m.target, m.delegate)
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
	if !bytes.Equal(ft.written[2], wire.AppendString([]byte{msgUserauthGSSAPIMIC}, append([]byte("mic:"), data...))) {
		t.Fatalf("MIC message % x", ft.written[2])
	}
}

func TestGSSAPIWithMICFailures(t *testing.T) {
	// The server does not do gssapi-with-mic.
	ft := &fakeTransport{replies: [][][]byte{{appendFailure([]string{"publickey"}, false)}}}
	var fe *FailureError
	if err := GSSAPIWithMIC(ft, "u", &fakeMech{}, "host@s", false); !errors.As(err, &fe) || fe.Method != "gssapi-with-mic" {
		t.Fatalf("refused: %v", err)
	}
	// No credentials: a *GSSAPIError, and nothing sent after the
	// request, so the next method's request takes its place.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}}}
	err := GSSAPIWithMIC(ft, "u", &fakeMech{initErr: gssapi.ErrNoCredentials}, "host@s", false)
	var ge *GSSAPIError
	if !errors.As(err, &ge) || !errors.Is(err, gssapi.ErrNoCredentials) || len(ft.written) != 1 {
		t.Fatalf("no credentials: %v, %d written", err, len(ft.written))
	}
	// The server's GSS-API fails: its message is kept with its FAILURE.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {gssError("Unspecified GSS failure"), appendFailure([]string{"publickey"}, false)}}}
	err = GSSAPIWithMIC(ft, "u", &fakeMech{}, "host@s", false)
	if !errors.As(err, &ge) || ge.Server != "Unspecified GSS failure" || !errors.As(err, &fe) {
		t.Fatalf("server error: %v", err)
	}
	// A mechanism the client did not offer.
	other, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2})
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(other)}}}
	if err := GSSAPIWithMIC(ft, "u", &fakeMech{}, "host@s", false); !errors.As(err, new(*ProtocolError)) {
		t.Fatalf("another mechanism: %v", err)
	}
	// SUCCESS before the context is established.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {success}}}
	if err := GSSAPIWithMIC(ft, "u", &fakeMech{}, "host@s", false); !errors.As(err, new(*ProtocolError)) {
		t.Fatalf("early success: %v", err)
	}
	// A bad acceptor token fails the mechanism.
	ft = &fakeTransport{replies: [][][]byte{{gssResponse(krb5OID)}, {gssToken("forged")}}}
	if err := GSSAPIWithMIC(ft, "u", &fakeMech{}, "host@s", false); !errors.Is(err, gssapi.ErrMutualFailed) {
		t.Fatalf("forged token: %v", err)
	}
}
