package krb5

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	krbgss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
)

// MICs both ways, with the acceptor's subkey (as MIT's acceptor sends)
// and without one, for every encryption type: the right key, flags,
// key usage and sequence numbers.
func TestMICBothWays(t *testing.T) {
	for _, et := range testEtypes {
		for _, withSubkey := range []bool{true, false} {
			name := et.name + "/initiator subkey"
			if withSubkey {
				name = et.name + "/acceptor subkey"
			}
			t.Run(name, func(t *testing.T) {
				c, a := establish(t, et.id, withSubkey)
				for i, msg := range [][]byte{[]byte("session id, user, service, method"), nil, bytes.Repeat([]byte{7}, 1000)} {
					mic, err := c.GetMIC(msg)
					if err != nil {
						t.Fatal(err)
					}
					a.verifyMIC(msg, mic, uint64(a.auth.SeqNumber)+uint64(i))
					if err := c.VerifyMIC(msg, a.mic(msg, uint64(a.seq)+uint64(i))); err != nil {
						t.Fatalf("acceptor MIC %d: %v", i, err)
					}
				}
			})
		}
	}
}

// The header of an initiator's MIC token, RFC 4121 section 4.2.6.1.
func TestMICTokenHeader(t *testing.T) {
	c, a := establish(t, 18, true)
	mic, err := c.GetMIC([]byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("0404" + "04" + "ffffffffff")
	if !bytes.Equal(mic[:8], want) {
		t.Fatalf("header %x, want %x", mic[:8], want)
	}
	if seq := binary.BigEndian.Uint64(mic[8:16]); seq != uint64(a.auth.SeqNumber) {
		t.Fatalf("SND_SEQ %d, want the authenticator's %d", seq, a.auth.SeqNumber)
	}
	if len(mic) != 16+12 {
		t.Fatalf("token of %d bytes, want 16 + HMAC-SHA1-96", len(mic))
	}
}

func TestVerifyMICRejects(t *testing.T) {
	msg := []byte("exchange hash")
	cases := map[string]func(a *testAcceptor) ([]byte, []byte){
		"tampered checksum": func(a *testAcceptor) ([]byte, []byte) {
			m := a.mic(msg, uint64(a.seq))
			m[len(m)-1] ^= 1
			return msg, m
		},
		"other message": func(a *testAcceptor) ([]byte, []byte) {
			return []byte("exchange hasH"), a.mic(msg, uint64(a.seq))
		},
		"replayed sequence number": func(a *testAcceptor) ([]byte, []byte) {
			return msg, a.mic(msg, uint64(a.seq)-1)
		},
		"skipped sequence number": func(a *testAcceptor) ([]byte, []byte) {
			return msg, a.mic(msg, uint64(a.seq)+1)
		},
		"truncated": func(a *testAcceptor) ([]byte, []byte) {
			return msg, a.mic(msg, uint64(a.seq))[:20]
		},
		"header only": func(a *testAcceptor) ([]byte, []byte) {
			return msg, a.mic(msg, uint64(a.seq))[:16]
		},
		"sealed flag": func(a *testAcceptor) ([]byte, []byte) {
			m := a.mic(msg, uint64(a.seq))
			m[2] |= krbgss.MICTokenFlagSealed
			return msg, m
		},
		"from the initiator": func(a *testAcceptor) ([]byte, []byte) {
			m := a.mic(msg, uint64(a.seq))
			m[2] &^= krbgss.MICTokenFlagSentByAcceptor
			return msg, m
		},
		"initiator's key usage": func(a *testAcceptor) ([]byte, []byte) {
			key, fl := a.micKey()
			tok := krbgss.MICToken{Flags: fl, SndSeqNum: uint64(a.seq), Payload: msg}
			tok.SetChecksum(key, keyusage.GSSAPI_INITIATOR_SIGN)
			b, _ := tok.Marshal()
			return msg, b
		},
		"initiator's subkey": func(a *testAcceptor) ([]byte, []byte) {
			tok := krbgss.MICToken{Flags: krbgss.MICTokenFlagSentByAcceptor, SndSeqNum: uint64(a.seq), Payload: msg}
			tok.SetChecksum(a.auth.SubKey, keyusage.GSSAPI_ACCEPTOR_SIGN)
			b, _ := tok.Marshal()
			return msg, b
		},
		"session key": func(a *testAcceptor) ([]byte, []byte) {
			tok := krbgss.MICToken{Flags: krbgss.MICTokenFlagSentByAcceptor | krbgss.MICTokenFlagAcceptorSubkey, SndSeqNum: uint64(a.seq), Payload: msg}
			tok.SetChecksum(a.sessionKey, keyusage.GSSAPI_ACCEPTOR_SIGN)
			b, _ := tok.Marshal()
			return msg, b
		},
		"wrap token": func(a *testAcceptor) ([]byte, []byte) {
			m := a.mic(msg, uint64(a.seq))
			m[0], m[1] = 0x05, 0x04
			return msg, m
		},
		"empty": func(a *testAcceptor) ([]byte, []byte) { return msg, nil },
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			c, a := establish(t, 18, true)
			m, mic := make(a)
			if err := c.VerifyMIC(m, mic); !errors.Is(err, gssapi.ErrBadMIC) {
				t.Fatalf("err = %v, want ErrBadMIC", err)
			}
			// A refused token does not advance the sequence.
			if err := c.VerifyMIC(msg, a.mic(msg, uint64(a.seq))); err != nil {
				t.Fatalf("the next good MIC: %v", err)
			}
		})
	}
}
