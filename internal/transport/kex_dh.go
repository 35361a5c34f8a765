package transport

import (
	"bytes"
	"crypto"
	"math/big"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// dhKex is the fixed-group Diffie-Hellman methods: diffie-hellman-group1-sha1
// and -group14-sha1 (RFC 4253 section 8), -group14-sha256, -group16-sha512
// and -group18-sha512 (RFC 8268), over the MODP groups of RFC 2409 and
// RFC 3526 with generator 2.
type dhKex struct {
	name  string
	hash  crypto.Hash
	group *dhGroup
}

// dhGroup is a MODP group: a prime p (a safe prime for the fixed groups)
// and a generator g. Its values are shared by every run and only read.
type dhGroup struct {
	p, g    *big.Int
	pMinus1 *big.Int
}

func newDHGroup(hexP string) *dhGroup {
	p, ok := new(big.Int).SetString(hexP, 16)
	if !ok {
		panic("transport: bad DH group constant")
	}
	return &dhGroup{p: p, g: big.NewInt(2), pMinus1: new(big.Int).Sub(p, big.NewInt(1))}
}

// inRange reports whether 1 < v < p-1, the range RFC 4253 section 8
// requires of e and f (RFC 8268 section 4 and NIST SP 800-56A section
// 5.6.2.3.1 exclude p-1 too: with 0, 1 and p-1 the shared secret is
// predictable).
func (g *dhGroup) inRange(v *big.Int) bool {
	return v.Cmp(bigOne) > 0 && v.Cmp(g.pMinus1) < 0
}

var bigOne = big.NewInt(1)

// dhExponentBytes is the size of the private exponent x: 512 bits.
// OpenSSH's dh_gen_key draws 2*max(256, need) bits, need being the
// negotiated cipher's key size in bits, so 512 bits with AES-256 or
// hmac-sha2-256; twice the 256-bit security level is beyond the strength
// of every group here (at most about 200 bits for 8192-bit p), and a short
// exponent keeps the modular exponentiations cheap.
const dhExponentBytes = 64

func (k *dhKex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	return dhRun(t, in, k.name, k.hash, k.group,
		wire.MsgKexDHInit, wire.MsgKexDHReply, "KEXDH_REPLY", nil)
}

// dhRun is the client side of a Diffie-Hellman exchange in group grp: it
// sends e in message initMsg, reads f from message replyMsg, and hashes
// prefix (the group exchange's request and group, empty for fixed
// groups), then e, f and K.
func dhRun(t kexTransport, in *kexInput, name string, hash crypto.Hash, grp *dhGroup,
	initMsg, replyMsg byte, replyName string, prefix []byte) (*kexResult, error) {
	x, e, err := dhKeyPair(name, in, grp)
	if err != nil {
		return nil, err
	}
	// math/big is not constant time. The exponent is ephemeral and used
	// for two exponentiations only, as in golang.org/x/crypto/ssh.
	defer clear(x.Bits())
	if err := t.writePacket(wire.AppendKexDHInit(nil, initMsg, e)); err != nil {
		return nil, err
	}
	p, err := readKexMessage(t, name, replyMsg, replyName)
	if err != nil {
		return nil, err
	}
	reply, err := wire.ParseKexDHReply(p, replyMsg)
	if err != nil {
		return nil, kexErrorf(name, err, "bad %s", replyName)
	}
	if !grp.inRange(reply.F) {
		return nil, kexErrorf(name, nil, "server's public value f is out of range")
	}
	k := new(big.Int).Exp(reply.F, x, grp.p)
	// With a safe prime and f in range, K is never 0 or 1; a group
	// exchange server may send a p that is not a safe prime, though.
	if !grp.inRange(k) {
		clear(k.Bits())
		return nil, kexErrorf(name, nil, "shared secret is degenerate: server's f has small order")
	}
	K := wire.AppendMPInt(nil, k)
	clear(k.Bits())

	// [gex values,] mpint e, mpint f, mpint K.
	values := append([]byte{}, prefix...)
	values = wire.AppendMPInt(values, e)
	values = wire.AppendMPInt(values, reply.F)
	values = append(values, K...)
	return &kexResult{
		H:         exchangeHash(hash, in, reply.HostKey, values),
		K:         K,
		HostKey:   bytes.Clone(reply.HostKey),
		Signature: bytes.Clone(reply.Signature),
		Hash:      hash,
	}, nil
}

// dhKeyPair draws x from in.rand and computes e = g^x mod p, drawing again
// in the (astronomically unlikely) case that x < 2 or e is out of range,
// which a group exchange server's odd choice of g could cause.
func dhKeyPair(name string, in *kexInput, grp *dhGroup) (x, e *big.Int, err error) {
	for range maxScalarTries {
		b, err := kexRandom(name, in, dhExponentBytes)
		if err != nil {
			return nil, nil, err
		}
		x = new(big.Int).SetBytes(b)
		clear(b)
		if x.Cmp(bigOne) > 0 {
			e = new(big.Int).Exp(grp.g, x, grp.p)
			if grp.inRange(e) {
				return x, e, nil
			}
		}
		clear(x.Bits())
	}
	return nil, nil, kexErrorf(name, nil, "no usable exponent in %d tries: bad generator or broken random source", maxScalarTries)
}

// The fixed groups, big-endian hex. The KAT vectors (testdata/kex) check
// them against asyncssh's and paramiko's copies, and gen_kat.py checks
// those against the defining formulas of RFC 2409 and RFC 3526.
var (
	// RFC 2409 section 6.2, the 1024-bit MODP group ("group1").
	oakleyGroup2 = newDHGroup(
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
			"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
	)
	// RFC 3526 section 3, the 2048-bit MODP group.
	modpGroup14 = newDHGroup(
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
			"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
			"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
			"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
			"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
			"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
	)
	// RFC 3526 section 5, the 4096-bit MODP group.
	modpGroup16 = newDHGroup(
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
			"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
			"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
			"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
			"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
			"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33" +
			"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
			"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864" +
			"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2" +
			"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7" +
			"88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8" +
			"DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2" +
			"233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9" +
			"93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
	)
	// RFC 3526 section 7, the 8192-bit MODP group.
	modpGroup18 = newDHGroup(
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
			"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
			"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
			"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
			"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
			"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33" +
			"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
			"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864" +
			"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2" +
			"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7" +
			"88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8" +
			"DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2" +
			"233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9" +
			"93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026" +
			"C1D4DCB2602646DEC9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AE" +
			"B06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B" +
			"DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92EC" +
			"F032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E" +
			"59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA" +
			"CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76" +
			"F550AA3D8A1FBFF0EB19CCB1A313D55CDA56C9EC2EF29632387FE8D76E3C0468" +
			"043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DBE115974A3926F12FEE5E4" +
			"38777CB6A932DF8CD8BEC4D073B931BA3BC832B68D9DD300741FA7BF8AFC47ED" +
			"2576F6936BA424663AAB639C5AE4F5683423B4742BF1C978238F16CBE39D652D" +
			"E3FDB8BEFC848AD922222E04A4037C0713EB57A81A23F0C73473FC646CEA306B" +
			"4BCBC8862F8385DDFA9D4B7FA2C087E879683303ED5BDD3A062B3CF5B3A278A6" +
			"6D2A13F83F44F82DDF310EE074AB6A364597E899A0255DC164F31CC50846851D" +
			"F9AB48195DED7EA1B1D510BD7EE74D73FAF36BC31ECFA268359046F4EB879F92" +
			"4009438B481C6CD7889A002ED5EE382BC9190DA6FC026E479558E4475677E9AA" +
			"9E3050E2765694DFC81F56E880B96E7160C980DD98EDD3DFFFFFFFFFFFFFFFFF",
	)
)
