package krb5

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// secContext is the initiator's side of a Kerberos 5 GSS-API context
// (RFC 4121): the AP-REQ out, the AP-REP in, then MIC tokens.
type secContext struct {
	mu    sync.Mutex
	state contextState

	client     principal
	service    *ticket
	sessionKey types.EncryptionKey // the service ticket's
	krbCred    []byte              // the delegated TGT, nil when not delegating

	// Set when the AP-REQ is made.
	subkey    types.EncryptionKey // the initiator's, in the authenticator
	ctime     time.Time
	cusec     int
	delegated bool

	// Set by the AP-REP.
	acceptorSubkey    types.EncryptionKey
	hasAcceptorSubkey bool

	// The sequence numbers of the next MIC token each way (RFC 4121
	// section 4.2.6.1): the initiator's starts at the authenticator's
	// seq-number, the acceptor's at the AP-REP's.
	sendSeq, recvSeq uint64
}

type contextState int

const (
	stateNew         contextState = iota // the AP-REQ is to be sent
	stateSent                            // waiting for the AP-REP
	stateEstablished                     // MICs may flow
	stateFailed
	stateClosed
)

var errState = errors.New("krb5: context used out of order")

// Step makes the AP-REQ (input nil), then verifies the AP-REP.
func (c *secContext) Step(input []byte) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateNew:
		if input != nil {
			return nil, false, fmt.Errorf("%w: a token from the acceptor before the AP-REQ was sent", errState)
		}
		out, err := c.makeAPReq()
		if err != nil {
			c.fail()
			return nil, false, err
		}
		c.state = stateSent
		return out, false, nil
	case stateSent:
		if err := c.readAPRep(input); err != nil {
			c.fail()
			return nil, false, err
		}
		c.state = stateEstablished
		return nil, true, nil
	case stateEstablished:
		return nil, true, fmt.Errorf("%w: the context is already established", errState)
	default:
		return nil, false, fmt.Errorf("%w: the context failed or was closed", errState)
	}
}

// makeAPReq builds the first context token: the framed AP-REQ whose
// authenticator carries the GSS checksum (RFC 4121 section 4.1.1), a
// fresh subkey and a random initial sequence number; mutual
// authentication is required.
func (c *secContext) makeAPReq() ([]byte, error) {
	sum := gssChecksum{Flags: flagMutual | flagInteg | flagSequence}
	if c.krbCred != nil {
		sum.Flags |= flagDeleg
		sum.Deleg = c.krbCred
	}
	sumBytes, err := sum.marshal()
	if err != nil {
		return nil, err
	}
	subkey := make([]byte, keySizes[c.sessionKey.KeyType])
	var seq [4]byte
	if _, err := rand.Read(subkey); err != nil {
		return nil, err
	}
	if _, err := rand.Read(seq[:]); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	c.ctime = now.Truncate(time.Second) // KerberosTime has whole seconds
	c.cusec = now.Nanosecond() / 1000
	c.subkey = types.EncryptionKey{KeyType: c.sessionKey.KeyType, KeyValue: subkey}
	// Below 2^30, as MIT does: some implementations mishandle sequence
	// numbers that do not fit a signed 32-bit integer.
	c.sendSeq = uint64(binary.BigEndian.Uint32(seq[:]) & 0x3fffffff)
	auth := types.Authenticator{
		AVNO:      iana.PVNO,
		CRealm:    c.client.Realm,
		CName:     c.client.Name,
		Cksum:     types.Checksum{CksumType: checksumTypeGSS, Checksum: sumBytes},
		Cusec:     c.cusec,
		CTime:     c.ctime,
		SubKey:    c.subkey,
		SeqNumber: int64(c.sendSeq),
	}
	req, err := messages.NewAPReq(c.service.Ticket, c.sessionKey, auth)
	if err != nil {
		return nil, err
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	b, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	c.delegated = c.krbCred != nil
	return wrapToken(tokAPReq, b), nil
}

// readAPRep checks the acceptor's answer: an AP-REP whose encrypted part
// decrypts with the session key (key usage 12) and repeats the
// authenticator's time proves the acceptor holds the service key
// (RFC 4120 section 3.2.5); it may carry the acceptor's subkey and
// sequence number. A KRB-ERROR is the acceptor's refusal.
func (c *secContext) readAPRep(tok []byte) error {
	id, msg, err := unwrapToken(tok)
	if err != nil {
		return fmt.Errorf("%w: %w", gssapi.ErrMutualFailed, err)
	}
	switch id {
	case tokAPRep:
	case tokKRBError:
		return acceptorError(msg)
	default:
		return fmt.Errorf("%w: %w: token ID %x where an AP-REP was expected", gssapi.ErrMutualFailed, ErrDefectiveToken, id)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(msg); err != nil {
		return fmt.Errorf("%w: %w: the AP-REP does not parse: %v", gssapi.ErrMutualFailed, ErrDefectiveToken, err)
	}
	pt, err := decrypt(rep.EncPart, c.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("%w: the AP-REP: %v", gssapi.ErrMutualFailed, err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(pt); err != nil {
		return fmt.Errorf("%w: %w: the AP-REP's encrypted part does not parse: %v", gssapi.ErrMutualFailed, ErrDefectiveToken, err)
	}
	if !part.CTime.Equal(c.ctime) || part.Cusec != c.cusec {
		return fmt.Errorf("%w: the AP-REP answers another authenticator (time %v.%06d, sent %v.%06d)",
			gssapi.ErrMutualFailed, part.CTime, part.Cusec, c.ctime, c.cusec)
	}
	if part.Subkey.KeyType != 0 || len(part.Subkey.KeyValue) != 0 {
		if n, ok := keySizes[part.Subkey.KeyType]; !ok || len(part.Subkey.KeyValue) != n {
			return fmt.Errorf("%w: the acceptor's subkey has encryption type %d and %d bytes, which the pure-Go mechanism does not support",
				gssapi.ErrMutualFailed, part.Subkey.KeyType, len(part.Subkey.KeyValue))
		}
		c.acceptorSubkey = part.Subkey
		c.hasAcceptorSubkey = true
	}
	// seq-number is a UInt32 that some encoders write as a negative
	// INTEGER (RFC 4120 section 5.3 asks receivers to accept that).
	c.recvSeq = uint64(uint32(part.SequenceNumber))
	return nil
}

// decrypt decrypts ed with key, refusing what gokrb5 would panic on
// (a ciphertext shorter than its checksum) or misread (another
// encryption type than the key's).
func decrypt(ed types.EncryptedData, key types.EncryptionKey, usage uint32) ([]byte, error) {
	if ed.EType != key.KeyType {
		return nil, fmt.Errorf("encrypted with type %d, the key is of type %d", ed.EType, key.KeyType)
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	if len(ed.Cipher) < et.GetConfounderByteSize()+et.GetHMACBitLength()/8 {
		return nil, fmt.Errorf("a ciphertext of %d bytes is too short", len(ed.Cipher))
	}
	return crypto.DecryptEncPart(ed, key, usage)
}

// acceptorError turns the acceptor's KRB-ERROR token into an error.
func acceptorError(msg []byte) error {
	var e messages.KRBError
	if err := e.Unmarshal(msg); err != nil {
		return fmt.Errorf("%w: %w: the acceptor's KRB-ERROR does not parse: %v", gssapi.ErrMutualFailed, ErrDefectiveToken, err)
	}
	if e.ErrorCode == errorcode.KRB_AP_ERR_TKT_EXPIRED {
		return fmt.Errorf("krb5: the acceptor refused the ticket: %w: %w", gssapi.ErrExpired, e)
	}
	return fmt.Errorf("krb5: the acceptor refused the context: %w", e)
}

// Delegated reports whether the AP-REQ carried the forwarded TGT.
func (c *secContext) Delegated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delegated
}

// Close forgets the context's keys.
func (c *secContext) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail()
	c.state = stateClosed
	return nil
}

// fail ends the context and wipes its keys.
func (c *secContext) fail() {
	c.state = stateFailed
	for _, k := range [][]byte{c.sessionKey.KeyValue, c.subkey.KeyValue, c.acceptorSubkey.KeyValue} {
		clear(k)
	}
	c.krbCred = nil
}
