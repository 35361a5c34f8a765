package transport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"slices"
)

// blockCipher is a stream or block mode cipher (aes*-ctr, aes*-cbc,
// 3des-cbc) with a separate MAC, either MAC-then-encrypt ordering as RFC
// 4253 has it (the MAC covers the plaintext packet) or OpenSSH's
// encrypt-then-MAC (the MAC covers the ciphertext, the length is sent in
// clear).
type blockCipher struct {
	blockSize int
	crypt     func(dst, src []byte) // en- or decrypts whole blocks, keeping its state
	mac       *packetMAC
	etm       bool
	macSize   int
}

func newAESCTR(key, iv []byte, mac *macMode, macKey []byte) (packetCipher, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	s := cipher.NewCTR(block, iv)
	return newBlockCipher(aes.BlockSize, s.XORKeyStream, mac, macKey), nil
}

// newAESCBC and newTripleDESCBC are built for one direction, but whether
// they encrypt or decrypt is only known by use; cbcCipher keeps both.
func newAESCBC(key, iv []byte, mac *macMode, macKey []byte) (packetCipher, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return newCBC(block, iv, mac, macKey), nil
}

func newTripleDESCBC(key, iv []byte, mac *macMode, macKey []byte) (packetCipher, error) {
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		return nil, err
	}
	return newCBC(block, iv, mac, macKey), nil
}

// cbcCipher picks the encrypter or the decrypter on first use: a
// direction's cipher only ever does one of the two.
type cbcCipher struct {
	enc, dec *blockCipher
}

func newCBC(block cipher.Block, iv []byte, mac *macMode, macKey []byte) *cbcCipher {
	e := cipher.NewCBCEncrypter(block, iv)
	d := cipher.NewCBCDecrypter(block, iv)
	return &cbcCipher{
		enc: newBlockCipher(block.BlockSize(), e.CryptBlocks, mac, macKey),
		dec: newBlockCipher(block.BlockSize(), d.CryptBlocks, mac, macKey),
	}
}

func (c *cbcCipher) open(seq uint32, r *packetReader) ([]byte, error) {
	return c.dec.open(seq, r)
}

func (c *cbcCipher) seal(seq uint32, dst, payload []byte, pad *padding) []byte {
	return c.enc.seal(seq, dst, payload, pad)
}

func newBlockCipher(blockSize int, crypt func(dst, src []byte), mac *macMode, macKey []byte) *blockCipher {
	return &blockCipher{blockSize: blockSize, crypt: crypt, mac: newPacketMAC(mac, macKey), etm: mac.etm, macSize: mac.size}
}

func (c *blockCipher) open(seq uint32, r *packetReader) ([]byte, error) {
	if c.etm {
		return c.openETM(seq, r)
	}
	// The length is encrypted: decrypt the first block to learn it. The
	// block stays decrypted in the buffer, and the rest continues the
	// cipher's state from there.
	first, err := r.peek(c.blockSize)
	if err != nil {
		return nil, err
	}
	c.crypt(first, first)
	length := binary.BigEndian.Uint32(first)
	if err := checkLength(length, 4+int(length), c.blockSize); err != nil {
		return nil, err
	}
	total := 4 + int(length) + c.macSize
	pkt, err := r.peek(total)
	if err != nil {
		return nil, err
	}
	plain := pkt[:4+length]
	c.crypt(plain[c.blockSize:], plain[c.blockSize:])
	if !c.mac.verify(seq, plain, pkt[4+length:]) {
		return nil, errMAC
	}
	r.discard(total)
	return payloadOf(plain[4:])
}

func (c *blockCipher) openETM(seq uint32, r *packetReader) ([]byte, error) {
	hdr, err := r.peek(4)
	if err != nil {
		return nil, err
	}
	length := binary.BigEndian.Uint32(hdr)
	if err := checkLength(length, int(length), c.blockSize); err != nil {
		return nil, err
	}
	total := 4 + int(length) + c.macSize
	pkt, err := r.peek(total)
	if err != nil {
		return nil, err
	}
	if !c.mac.verify(seq, pkt[:4+length], pkt[4+length:]) {
		return nil, errMAC
	}
	body := pkt[4 : 4+length]
	c.crypt(body, body)
	r.discard(total)
	return payloadOf(body)
}

func (c *blockCipher) seal(seq uint32, dst, payload []byte, pad *padding) []byte {
	start := len(dst)
	dst = slices.Grow(dst, 4+1+len(payload)+2*c.blockSize+minPadding+c.macSize)
	aad := 0
	if c.etm {
		aad = 4
	}
	dst = appendPacket(dst, payload, c.blockSize, aad, pad)
	pkt := dst[start:]
	if c.etm {
		c.crypt(pkt[4:], pkt[4:])
		return append(dst, c.mac.compute(seq, pkt)...)
	}
	tag := c.mac.compute(seq, pkt)
	c.crypt(pkt, pkt)
	return append(dst, tag...)
}

// noneCipher is the initial state: no encryption, no MAC, blocks of 8.
type noneCipher struct{}

func (noneCipher) open(_ uint32, r *packetReader) ([]byte, error) {
	hdr, err := r.peek(4)
	if err != nil {
		return nil, err
	}
	length := binary.BigEndian.Uint32(hdr)
	if err := checkLength(length, 4+int(length), 8); err != nil {
		return nil, err
	}
	pkt, err := r.peek(4 + int(length))
	if err != nil {
		return nil, err
	}
	r.discard(4 + int(length))
	return payloadOf(pkt[4:])
}

func (noneCipher) seal(_ uint32, dst, payload []byte, pad *padding) []byte {
	return appendPacket(dst, payload, 8, 0, pad)
}
