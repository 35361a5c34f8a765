package transport

import (
	"crypto"
	"crypto/ecdh"
	_ "crypto/sha1" // for crypto.SHA1.New
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// kexMethods maps each supported kex method name to its implementation.
var kexMethods = map[string]kexMethod{
	mlkem768x25519Name: mlkem768x25519Kex{},

	"curve25519-sha256":            curve25519Kex{name: "curve25519-sha256"},
	"curve25519-sha256@libssh.org": curve25519Kex{name: "curve25519-sha256@libssh.org"},

	"ecdh-sha2-nistp256": &ecdhKex{name: "ecdh-sha2-nistp256", curve: ecdh.P256(), hash: crypto.SHA256,
		scalarSize: 32, topMask: 0xff},
	"ecdh-sha2-nistp384": &ecdhKex{name: "ecdh-sha2-nistp384", curve: ecdh.P384(), hash: crypto.SHA384,
		scalarSize: 48, topMask: 0xff},
	// The order of P-521 has 521 bits: 66 bytes, of which the first holds
	// one bit.
	"ecdh-sha2-nistp521": &ecdhKex{name: "ecdh-sha2-nistp521", curve: ecdh.P521(), hash: crypto.SHA512,
		scalarSize: 66, topMask: 0x01},

	"diffie-hellman-group16-sha512": &dhKex{name: "diffie-hellman-group16-sha512", hash: crypto.SHA512, group: modpGroup16},
	"diffie-hellman-group18-sha512": &dhKex{name: "diffie-hellman-group18-sha512", hash: crypto.SHA512, group: modpGroup18},
	"diffie-hellman-group14-sha256": &dhKex{name: "diffie-hellman-group14-sha256", hash: crypto.SHA256, group: modpGroup14},
	"diffie-hellman-group14-sha1":   &dhKex{name: "diffie-hellman-group14-sha1", hash: crypto.SHA1, group: modpGroup14},
	"diffie-hellman-group1-sha1":    &dhKex{name: "diffie-hellman-group1-sha1", hash: crypto.SHA1, group: oakleyGroup2},

	"diffie-hellman-group-exchange-sha256": &gexKex{name: "diffie-hellman-group-exchange-sha256", hash: crypto.SHA256},
	"diffie-hellman-group-exchange-sha1":   &gexKex{name: "diffie-hellman-group-exchange-sha1", hash: crypto.SHA1},
}
