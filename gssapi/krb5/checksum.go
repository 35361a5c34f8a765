package krb5

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// GSS-API context flags (RFC 2744 section 3.14, carried in the
// authenticator checksum, RFC 4121 section 4.1.1.1).
const (
	flagDeleg    = 1
	flagMutual   = 2
	flagReplay   = 4
	flagSequence = 8
	flagConf     = 16
	flagInteg    = 32
)

// checksumTypeGSS is the authenticator checksum type of the Kerberos
// GSS-API mechanism (RFC 4121 section 4.1.1).
const checksumTypeGSS = 0x8003

// gssChecksum is the 0x8003 "checksum" of the AP-REQ's authenticator,
// which is not a checksum but the context's parameters:
//
//	Lgth   4 bytes, little-endian: 16, the length of Bnd
//	Bnd   16 bytes: MD5 of the channel bindings, or zeros without them
//	Flags  4 bytes, little-endian: the GSS-API context flags
//	DlgOpt 2 bytes, little-endian: 1     (only with GSS_C_DELEG_FLAG)
//	Dlgth  2 bytes, little-endian: the length of Deleg
//	Deleg  a KRB-CRED with the delegated credentials
//	Exts   extensions, ignored here
type gssChecksum struct {
	Bindings [16]byte
	Flags    uint32
	Deleg    []byte
}

func (c gssChecksum) marshal() ([]byte, error) {
	b := make([]byte, 24, 28+len(c.Deleg))
	binary.LittleEndian.PutUint32(b[0:], 16)
	copy(b[4:20], c.Bindings[:])
	binary.LittleEndian.PutUint32(b[20:], c.Flags)
	if c.Flags&flagDeleg == 0 {
		if len(c.Deleg) != 0 {
			return nil, errors.New("krb5: delegated credentials without GSS_C_DELEG_FLAG")
		}
		return b, nil
	}
	if len(c.Deleg) > 0xffff {
		return nil, fmt.Errorf("krb5: the KRB-CRED to delegate is %d bytes, more than the checksum can carry", len(c.Deleg))
	}
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(c.Deleg)))
	return append(b, c.Deleg...), nil
}
