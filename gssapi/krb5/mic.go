package krb5

import (
	"fmt"

	"github.com/amiko-ssh/amiko/gssapi"
	krbgss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// MIC tokens are RFC 4121 section 4.2.6.1's:
//
//	TOK_ID 04 04 | Flags | FF FF FF FF FF | SND_SEQ (8 bytes) | SGN_CKSUM
//
// with the checksum over the message followed by the 16-byte header.
// gokrb5's gssapi.MICToken encodes and checks exactly that, so it is
// used; what it leaves to its caller is done here: which key (the
// acceptor's subkey once the AP-REP asserted one, else the initiator's
// subkey), the AcceptorSubkey and SentByAcceptor flags, and the
// sequence numbers.

// micKey is the key MIC tokens use both ways, with the flags saying so.
func (c *secContext) micKey() (types.EncryptionKey, byte) {
	if c.hasAcceptorSubkey {
		return c.acceptorSubkey, krbgss.MICTokenFlagAcceptorSubkey
	}
	return c.subkey, 0
}

// GetMIC returns the initiator's MIC token over msg (key usage
// KG-USAGE-INITIATOR-SIGN, 25).
func (c *secContext) GetMIC(msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateEstablished {
		return nil, fmt.Errorf("%w: GetMIC before the context is established", errState)
	}
	key, fl := c.micKey()
	t := krbgss.MICToken{Flags: fl, SndSeqNum: c.sendSeq, Payload: nonNil(msg)}
	if err := t.SetChecksum(key, keyusage.GSSAPI_INITIATOR_SIGN); err != nil {
		return nil, err
	}
	c.sendSeq++
	return t.Marshal()
}

// VerifyMIC checks the acceptor's MIC token over msg (key usage
// KG-USAGE-ACCEPTOR-SIGN, 23). The context asked for sequencing, so a
// token out of order (replayed, or one missing before it) fails.
func (c *secContext) VerifyMIC(msg, mic []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateEstablished {
		return fmt.Errorf("%w: VerifyMIC before the context is established", errState)
	}
	var t krbgss.MICToken
	if err := t.Unmarshal(mic, true); err != nil {
		return fmt.Errorf("%w: %w: %v", gssapi.ErrBadMIC, ErrDefectiveToken, err)
	}
	if t.Flags&krbgss.MICTokenFlagSealed != 0 || t.Flags&^0x07 != 0 {
		return fmt.Errorf("%w: %w: MIC token flags %#x", gssapi.ErrBadMIC, ErrDefectiveToken, t.Flags)
	}
	key, fl := c.micKey()
	if t.Flags&krbgss.MICTokenFlagAcceptorSubkey != fl {
		return fmt.Errorf("%w: the token's AcceptorSubkey flag does not match the context's key", gssapi.ErrBadMIC)
	}
	t.Payload = nonNil(msg)
	if ok, _ := t.Verify(key, keyusage.GSSAPI_ACCEPTOR_SIGN); !ok {
		return fmt.Errorf("%w: the checksum is wrong", gssapi.ErrBadMIC)
	}
	if t.SndSeqNum != c.recvSeq {
		return fmt.Errorf("%w: sequence number %d where %d was next", gssapi.ErrBadMIC, t.SndSeqNum, c.recvSeq)
	}
	c.recvSeq++
	return nil
}

// nonNil: MICToken refuses a nil payload as "not set"; an empty message
// is a message.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
