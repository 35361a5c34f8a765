package krb5

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"
	"golang.org/x/crypto/cryptobyte"
)

// This file reads MIT's FILE credential cache, the format kinit writes
// (https://web.mit.edu/kerberos/krb5-latest/doc/formats/ccache_file_format.html).
// gokrb5 has a reader (credentials.LoadCCache), but it indexes the file
// without bounds checks, so a truncated or empty cache (kinit rewriting
// it, a stray file) panics, and it reads times as signed 32-bit numbers.
// This one checks every length and only keeps what the mechanism needs.

// principal is a principal name with its realm.
type principal struct {
	Realm string
	Name  types.PrincipalName
}

func (p principal) String() string {
	return strings.Join(p.Name.NameString, "/") + "@" + p.Realm
}

// credential is one ticket in a cache.
type credential struct {
	Client    principal
	Server    principal
	Key       types.EncryptionKey
	AuthTime  time.Time
	StartTime time.Time
	EndTime   time.Time
	RenewTill time.Time
	Flags     uint32 // RFC 4120 TicketFlags, bit 0 the most significant
	Ticket    []byte // the DER Ticket
}

// Ticket flags as the cache stores them (MIT's TKT_FLG_*).
const (
	flagForwardable = 1 << (31 - 1)
	flagRenewable   = 1 << (31 - 8)
)

// ccache is the content of a credential cache.
type ccache struct {
	Default     principal
	Credentials []credential
}

// maxCCacheCount bounds the counts in a cache file (components,
// addresses, authorization data) so a damaged count cannot make the
// reader allocate or loop without end.
const maxCCacheCount = 1 << 12

var errCCacheFormat = errors.New("malformed credential cache")

// parseCCache parses a FILE credential cache of version 3 or 4 (the
// versions MIT has written since 1.0; 1 and 2 are native-endian and
// long gone).
func parseCCache(b []byte) (*ccache, error) {
	s := cryptobyte.String(b)
	var magic, version uint8
	if !s.ReadUint8(&magic) || !s.ReadUint8(&version) || magic != 5 {
		return nil, fmt.Errorf("%w: not a credential cache file", errCCacheFormat)
	}
	if version != 3 && version != 4 {
		return nil, fmt.Errorf("%w: version %d not supported", errCCacheFormat, version)
	}
	if version == 4 {
		// Header tags (the KDC time offset) are of no use here.
		var header cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&header) {
			return nil, fmt.Errorf("%w: truncated header", errCCacheFormat)
		}
	}
	c := new(ccache)
	var ok bool
	if c.Default, ok = readPrincipal(&s); !ok {
		return nil, fmt.Errorf("%w: bad default principal", errCCacheFormat)
	}
	for !s.Empty() {
		cred, ok := readCredential(&s, version)
		if !ok {
			return nil, fmt.Errorf("%w: bad credential %d", errCCacheFormat, len(c.Credentials)+1)
		}
		// Configuration entries (X-CACHECONF:) are not tickets.
		if cred.Server.Realm == "X-CACHECONF:" {
			continue
		}
		c.Credentials = append(c.Credentials, cred)
	}
	return c, nil
}

func readPrincipal(s *cryptobyte.String) (principal, bool) {
	var p principal
	var nameType, count uint32
	var realm cryptobyte.String
	if !s.ReadUint32(&nameType) || !s.ReadUint32(&count) || count > maxCCacheCount ||
		!readCounted(s, &realm) {
		return p, false
	}
	p.Realm = string(realm)
	p.Name.NameType = int32(nameType)
	for range count {
		var c cryptobyte.String
		if !readCounted(s, &c) {
			return p, false
		}
		p.Name.NameString = append(p.Name.NameString, string(c))
	}
	return p, true
}

func readCredential(s *cryptobyte.String, version uint8) (credential, bool) {
	var c credential
	var ok bool
	if c.Client, ok = readPrincipal(s); !ok {
		return c, false
	}
	if c.Server, ok = readPrincipal(s); !ok {
		return c, false
	}
	var etype, etype2 uint16
	var key cryptobyte.String
	if !s.ReadUint16(&etype) {
		return c, false
	}
	if version == 3 && !s.ReadUint16(&etype2) { // version 3 writes it twice
		return c, false
	}
	if !readCounted(s, &key) {
		return c, false
	}
	c.Key = types.EncryptionKey{KeyType: int32(etype), KeyValue: append([]byte(nil), key...)}
	var times [4]uint32
	for i := range times {
		if !s.ReadUint32(&times[i]) {
			return c, false
		}
	}
	c.AuthTime, c.StartTime, c.EndTime, c.RenewTill = unixTime(times[0]), unixTime(times[1]), unixTime(times[2]), unixTime(times[3])
	var isSKey uint8
	if !s.ReadUint8(&isSKey) || !s.ReadUint32(&c.Flags) {
		return c, false
	}
	// Addresses and authorization data: counted lists of (16-bit type,
	// counted octets), skipped.
	for range 2 {
		var n uint32
		if !s.ReadUint32(&n) || n > maxCCacheCount {
			return c, false
		}
		for range n {
			var typ uint16
			var data cryptobyte.String
			if !s.ReadUint16(&typ) || !readCounted(s, &data) {
				return c, false
			}
		}
	}
	var ticket, second cryptobyte.String
	if !readCounted(s, &ticket) || !readCounted(s, &second) {
		return c, false
	}
	c.Ticket = append([]byte(nil), ticket...)
	return c, true
}

// readCounted reads the cache's counted octet string: a 32-bit length,
// then the bytes.
func readCounted(s *cryptobyte.String, out *cryptobyte.String) bool {
	var n uint32
	var b []byte
	if !s.ReadUint32(&n) || !s.ReadBytes(&b, int(n)) {
		return false
	}
	*out = b
	return true
}

// unixTime reads the cache's unsigned 32-bit times (good until 2106);
// zero means absent.
func unixTime(t uint32) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// tgt returns the cache's ticket-granting ticket for its default
// principal's realm.
func (c *ccache) tgt() (credential, bool) {
	realm := c.Default.Realm
	for _, cred := range c.Credentials {
		n := cred.Server.Name.NameString
		if cred.Server.Realm == realm && len(n) == 2 && n[0] == "krbtgt" && n[1] == realm &&
			cred.Client.Realm == realm && cred.Client.Name.Equal(c.Default.Name) {
			return cred, true
		}
	}
	return credential{}, false
}
