package transport

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
)

// macMode describes one MAC algorithm (RFC 4253 section 6.4, RFC 6668,
// and OpenSSH's encrypt-then-MAC variants in its PROTOCOL file).
type macMode struct {
	keySize int
	size    int
	// etm MACs cover the encrypted packet and leave the length in clear.
	etm    bool
	legacy bool
	hash   func() hash.Hash
}

// macModes maps each supported MAC name to its mode.
var macModes = map[string]*macMode{
	"hmac-sha2-256-etm@openssh.com": {keySize: 32, size: 32, etm: true, hash: sha256.New},
	"hmac-sha2-512-etm@openssh.com": {keySize: 64, size: 64, etm: true, hash: sha512.New},
	"hmac-sha2-256":                 {keySize: 32, size: 32, hash: sha256.New},
	"hmac-sha2-512":                 {keySize: 64, size: 64, hash: sha512.New},
	"hmac-sha1-etm@openssh.com":     {keySize: 20, size: 20, etm: true, legacy: true, hash: sha1.New},
	"hmac-sha1":                     {keySize: 20, size: 20, legacy: true, hash: sha1.New},
}

// packetMAC computes one direction's MAC over the sequence number and the
// packet bytes, without allocating.
type packetMAC struct {
	h   hash.Hash
	sum []byte
	seq [4]byte // here rather than on the stack: h.Write would move it to the heap per call
}

func newPacketMAC(m *macMode, key []byte) *packetMAC {
	return &packetMAC{h: hmac.New(m.hash, key), sum: make([]byte, 0, m.size)}
}

// compute returns the MAC of seq || data; the result is valid until the
// next call.
func (m *packetMAC) compute(seq uint32, data []byte) []byte {
	binary.BigEndian.PutUint32(m.seq[:], seq)
	m.h.Reset()
	m.h.Write(m.seq[:])
	m.h.Write(data)
	m.sum = m.h.Sum(m.sum[:0])
	return m.sum
}

// verify reports, in constant time, whether tag is the MAC of seq || data.
func (m *packetMAC) verify(seq uint32, data, tag []byte) bool {
	return hmac.Equal(m.compute(seq, data), tag)
}
