package krb5

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// The framing of RFC 1964 section 1.1, byte for byte: [APPLICATION 0],
// the DER length, the OID 1.2.840.113554.1.2.2, TOK_ID, the message.
func TestWrapTokenBytes(t *testing.T) {
	got := wrapToken(tokAPReq, []byte{0x6e, 0x00})
	want, _ := hex.DecodeString("600f06092a864886f712010202" + "0100" + "6e00")
	if !bytes.Equal(got, want) {
		t.Fatalf("wrapToken = %x, want %x", got, want)
	}
	// A message past 127 bytes takes the long form of the length.
	long := wrapToken(tokAPRep, make([]byte, 300))
	if !bytes.HasPrefix(long, []byte{0x60, 0x82, 0x01, 0x39, 0x06, 0x09}) {
		t.Fatalf("long token starts %x", long[:6])
	}
	id, msg, err := unwrapToken(long)
	if err != nil || id != tokAPRep || len(msg) != 300 {
		t.Fatalf("unwrap: %x, %d bytes, %v", id, len(msg), err)
	}
}

func TestUnwrapTokenRejects(t *testing.T) {
	good := wrapToken(tokAPRep, []byte{1, 2, 3})
	spnego, _ := hex.DecodeString("600a06062b0601050502" + "0200" + "00") // the SPNEGO OID
	krb5Old, _ := hex.DecodeString("600d06092a864882f712010202" + "0200") // MS's wrong Kerberos OID
	for name, tok := range map[string][]byte{
		"empty":             nil,
		"not application 0": append([]byte{0x30}, good[1:]...),
		"trailing byte":     append(append([]byte(nil), good...), 0),
		"truncated":         good[:len(good)-1],
		"other mechanism":   spnego,
		"microsoft oid":     krb5Old,
		"no token id":       {0x60, 0x0c, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x02},
		"no oid":            {0x60, 0x02, 0x02, 0x00},
	} {
		if _, _, err := unwrapToken(tok); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("%s: err = %v, want ErrDefectiveToken", name, err)
		}
	}
	if id, msg, err := unwrapToken(good); err != nil || id != tokAPRep || !bytes.Equal(msg, []byte{1, 2, 3}) {
		t.Fatalf("good token: %x %x %v", id, msg, err)
	}
}
