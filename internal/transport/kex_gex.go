package transport

import (
	"crypto"
	"math/big"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// gexKex is diffie-hellman-group-exchange-sha256 and -sha1 (RFC 4419): the
// client asks for a group of min..max bits, preferably n; the server picks
// one, and the exchange proceeds as fixed-group Diffie-Hellman with
// message numbers of its own (GROUP 31, INIT 32, REPLY 33, REQUEST 34).
type gexKex struct {
	name string
	hash crypto.Hash
}

// Group sizes asked for when kexInput leaves them zero: OpenSSH's
// DH_GRP_MIN and DH_GRP_MAX (RFC 8270 raised the minimum to 2048), and
// the size its dh_estimate picks for 128-bit ciphers. The handshake may
// ask for more (OpenSSH asks 7680 for 192-bit and 8192 for 256-bit keys).
const (
	gexDefaultMin = 2048
	gexDefaultN   = 3072
	gexDefaultMax = 8192

	// gexFloor and gexCeiling bound what a caller may ask for: a group
	// below 1024 bits is broken outright (and must stay well above the
	// 512-bit exponent), and above 8192 bits a server could make the
	// client spend long on each exponentiation.
	gexFloor   = 1024
	gexCeiling = 8192
)

// gexSizes returns the sizes to ask for, or an error if the caller's are
// inconsistent.
func (k *gexKex) gexSizes(in *kexInput) (lo, n, hi uint32, err error) {
	lo, n, hi = in.gexMin, in.gexN, in.gexMax
	if lo == 0 {
		lo = gexDefaultMin
	}
	if hi == 0 {
		hi = gexDefaultMax
	}
	if n == 0 {
		n = min(max(gexDefaultN, lo), hi)
	}
	if lo < gexFloor || hi > gexCeiling || lo > n || n > hi {
		return 0, 0, 0, kexErrorf(k.name, nil, "bad group sizes min %d, n %d, max %d (want %d <= min <= n <= max <= %d)",
			lo, n, hi, gexFloor, gexCeiling)
	}
	return lo, n, hi, nil
}

func (k *gexKex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	lo, n, hi, err := k.gexSizes(in)
	if err != nil {
		return nil, err
	}
	req := &wire.KexGexRequest{Min: lo, N: n, Max: hi}
	if err := t.writePacket(req.Append(nil)); err != nil {
		return nil, err
	}
	pkt, err := readKexMessage(t, k.name, wire.MsgKexGexGroup, "KEX_DH_GEX_GROUP")
	if err != nil {
		return nil, err
	}
	p, g, err := wire.ParseKexGexGroup(pkt)
	if err != nil {
		return nil, kexErrorf(k.name, err, "bad KEX_DH_GEX_GROUP")
	}
	grp, err := k.checkGroup(p, g, lo, hi)
	if err != nil {
		return nil, err
	}
	// uint32 min, uint32 n, uint32 max, mpint p, mpint g; dhRun adds e,
	// f and K.
	prefix := wire.AppendUint32(nil, lo)
	prefix = wire.AppendUint32(prefix, n)
	prefix = wire.AppendUint32(prefix, hi)
	prefix = wire.AppendMPInt(prefix, p)
	prefix = wire.AppendMPInt(prefix, g)
	return dhRun(t, in, k.name, k.hash, grp,
		wire.MsgKexGexInit, wire.MsgKexGexReply, "KEX_DH_GEX_REPLY", prefix)
}

// checkGroup vets the server's group: p within the sizes asked for (RFC
// 4419 section 3) and odd, 1 < g < p-1. Whether p is a safe prime is not
// tested, as OpenSSH and golang.org/x/crypto/ssh do not: it costs tens of
// milliseconds for large p, and a server that wanted this session's secrets
// exposed could simply publish them.
func (k *gexKex) checkGroup(p, g *big.Int, lo, hi uint32) (*dhGroup, error) {
	bits := p.BitLen()
	if bits < int(lo) || bits > int(hi) {
		return nil, kexErrorf(k.name, nil, "server's group has %d bits, asked for %d to %d", bits, lo, hi)
	}
	if p.Bit(0) == 0 {
		return nil, kexErrorf(k.name, nil, "server's group modulus is even")
	}
	grp := &dhGroup{p: p, g: g, pMinus1: new(big.Int).Sub(p, bigOne)}
	if !grp.inRange(g) {
		return nil, kexErrorf(k.name, nil, "server's group generator is out of range")
	}
	return grp, nil
}
