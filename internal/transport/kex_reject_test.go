package transport

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// kexCase is a server that misbehaves: the messages it sends instead of
// the vector's.
type kexCase struct {
	name    string
	replies [][]byte
}

// runKexCase runs method against replies and requires an error, a
// *KexError unless the transport itself failed (io.EOF when the server
// sends too few messages).
func runKexCase(t *testing.T, v *kexVector, c kexCase) {
	t.Helper()
	in := v.input()
	tr := &kexFakeTransport{replies: c.replies}
	res, err := kexMethods[v.Method].run(tr, in)
	if err == nil {
		t.Errorf("%s: accepted (K %x)", c.name, res.K)
		return
	}
	if !asKexError(err) && !errors.Is(err, io.EOF) {
		t.Errorf("%s: error %v (%T) is not a *KexError", c.name, err, err)
	}
	if asKexError(err) && !strings.HasPrefix(err.Error(), "ssh: ") {
		t.Errorf("%s: error %q", c.name, err)
	}
}

// TestKexRejectsBadServerValues feeds each method replies derived from its
// known-answer vector and broken in one way each: every one must end in an
// error, never a panic or a key.
func TestKexRejectsBadServerValues(t *testing.T) {
	for _, v := range loadKexVectors(t) {
		t.Run(v.Method, func(t *testing.T) {
			if kexMethods[v.Method] == nil {
				t.Fatalf("no method %s", v.Method)
			}
			var cases []kexCase
			cases = append(cases, kexFramingCases(&v)...)
			switch m := kexMethods[v.Method].(type) {
			case curve25519Kex:
				cases = append(cases, kexECDHCases(&v, kexX25519BadPoints())...)
			case mlkem768x25519Kex:
				cases = append(cases, kexMLKEMCases(&v)...)
			case *ecdhKex:
				cases = append(cases, kexECDHCases(&v, kexNISTBadPoints(m.curve, v.ClientMessages[0]))...)
			case *dhKex:
				cases = append(cases, kexDHCases(&v, m.group.p, 0, wire.MsgKexDHReply)...)
			case *gexKex:
				cases = append(cases, kexGexCases(&v)...)
			default:
				t.Fatalf("no bad-value cases for %T", m)
			}
			for _, c := range cases {
				runKexCase(t, &v, c)
			}
			t.Logf("%d bad servers rejected", len(cases))
		})
	}
}

// kexFramingCases breaks the vector's messages without looking inside:
// none sent, empty, wrong message numbers, truncated, trailing data.
func kexFramingCases(v *kexVector) []kexCase {
	good := v.replies()
	cases := []kexCase{{name: "no reply", replies: nil}}
	for i := range good {
		with := func(name string, p []byte) kexCase {
			r := v.replies()[:i+1]
			r[i] = p
			return kexCase{name: name, replies: r}
		}
		cases = append(cases, with("empty packet", []byte{}))
		for _, msg := range []byte{0, wire.MsgIgnore, wire.MsgKexInit, wire.MsgNewKeys, 30, 31, 32, 33, 34, 40, 50, 255} {
			if msg == good[i][0] {
				continue
			}
			p := bytes.Clone(good[i])
			p[0] = msg
			cases = append(cases, with(fmt.Sprintf("message number %d", msg), p))
		}
		cases = append(cases, with("trailing byte", append(bytes.Clone(good[i]), 0)))
		stride := max(len(good[i])/12, 1)
		for n := 0; n < len(good[i]); n++ {
			if n > 16 && n < len(good[i])-16 && n%stride != 0 {
				continue // every short prefix, every near-complete one, a sample between
			}
			cases = append(cases, with("truncated", bytes.Clone(good[i][:n])))
		}
		// Stop after the reply: the vector's server sends nothing more.
		cases = append(cases, kexCase{name: "missing message", replies: v.replies()[:i]})
	}
	return cases
}

// kexWithServerPub rebuilds v's KEX_ECDH_REPLY with another server value.
func kexWithServerPub(v *kexVector, pub []byte) [][]byte {
	m, err := wire.ParseKexECDHReply(v.ServerMessages[0])
	if err != nil {
		panic(err)
	}
	m.ServerPub = pub
	return [][]byte{m.Append(nil)}
}

func kexECDHCases(v *kexVector, points map[string][]byte) []kexCase {
	var cases []kexCase
	for name, p := range points {
		cases = append(cases, kexCase{name: name, replies: kexWithServerPub(v, p)})
	}
	return cases
}

func kexUnhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// kexX25519BadPoints are wrong lengths and the points of small order, for
// which the X25519 shared secret is zero (RFC 7748 section 6.1, RFC 8731
// section 3).
func kexX25519BadPoints() map[string][]byte {
	return map[string][]byte{
		"empty":         {},
		"31 bytes":      make([]byte, 31),
		"33 bytes":      make([]byte, 33),
		"64 bytes":      make([]byte, 64),
		"zero":          make([]byte, 32),
		"one":           kexUnhex("0100000000000000000000000000000000000000000000000000000000000000"),
		"order 8 (a)":   kexUnhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
		"order 8 (b)":   kexUnhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
		"p-1":           kexUnhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
		"p":             kexUnhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
		"p+1":           kexUnhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
		"zero, top bit": kexUnhex("0000000000000000000000000000000000000000000000000000000000000080"),
	}
}

// kexNISTBadPoints are encodings crypto/ecdh must refuse for curve, built
// around the client's own valid point.
func kexNISTBadPoints(curve ecdh.Curve, clientInit []byte) map[string][]byte {
	q, err := wire.ParseKexECDHInit(clientInit)
	if err != nil {
		panic(err)
	}
	size := (len(q) - 1) / 2
	offCurve := bytes.Clone(q)
	offCurve[len(offCurve)-1] ^= 1
	compressed := append([]byte{2 | q[len(q)-1]&1}, q[1:1+size]...)
	hybrid := bytes.Clone(q)
	hybrid[0] = 6
	big := append([]byte{4}, bytes.Repeat([]byte{0xff}, 2*size)...)
	zeros := append([]byte{4}, make([]byte, 2*size)...)
	points := map[string][]byte{
		"empty":            {},
		"identity":         {0},
		"all zero":         zeros,
		"off the curve":    offCurve,
		"compressed":       compressed,
		"hybrid encoding":  hybrid,
		"coordinates >= p": big,
		"short":            q[:len(q)-1],
		"long":             append(bytes.Clone(q), 0),
		"no prefix":        q[1:],
	}
	// A valid point of another curve.
	for _, other := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521(), ecdh.X25519()} {
		if other == curve {
			continue
		}
		k, err := other.NewPrivateKey(kexScalar(other))
		if err != nil {
			panic(err)
		}
		points["point of "+kexCurveName(other)] = k.PublicKey().Bytes()
	}
	return points
}

func kexScalar(c ecdh.Curve) []byte {
	switch c {
	case ecdh.P384():
		return bytes.Repeat([]byte{7}, 48)
	case ecdh.P521():
		return append([]byte{1}, bytes.Repeat([]byte{7}, 65)...)
	}
	return bytes.Repeat([]byte{7}, 32)
}

func kexCurveName(c ecdh.Curve) string {
	switch c {
	case ecdh.P256():
		return "P-256"
	case ecdh.P384():
		return "P-384"
	case ecdh.P521():
		return "P-521"
	}
	return "X25519"
}

func kexMLKEMCases(v *kexVector) []kexCase {
	m, err := wire.ParseKexECDHReply(v.ServerMessages[0])
	if err != nil {
		panic(err)
	}
	sReply := m.ServerPub
	ct := sReply[:1088]
	cases := []kexCase{
		{"empty S_REPLY", kexWithServerPub(v, nil)},
		{"ciphertext only", kexWithServerPub(v, ct)},
		{"one byte short", kexWithServerPub(v, sReply[:len(sReply)-1])},
		{"one byte long", kexWithServerPub(v, append(bytes.Clone(sReply), 0))},
		{"X25519 only", kexWithServerPub(v, sReply[1088:])},
		{"ML-KEM-1024 sized", kexWithServerPub(v, make([]byte, 1568+32))},
	}
	for name, p := range kexX25519BadPoints() {
		if len(p) == 32 {
			cases = append(cases, kexCase{"X25519 " + name,
				kexWithServerPub(v, append(bytes.Clone(ct), p...))})
		}
	}
	return cases
}

// kexDHCases replaces f, in the reply at index i, with values outside
// 1 < f < p-1 and with malformed mpints.
func kexDHCases(v *kexVector, p *big.Int, i int, msg byte) []kexCase {
	reply, err := wire.ParseKexDHReply(v.ServerMessages[i], msg)
	if err != nil {
		panic(err)
	}
	withF := func(name string, f *big.Int) kexCase {
		m := *reply
		m.F = f
		r := v.replies()
		r[i] = m.Append(nil, msg)
		return kexCase{name: name, replies: r}
	}
	withRawF := func(name string, f []byte) kexCase {
		b := wire.AppendString([]byte{msg}, reply.HostKey)
		b = wire.AppendString(b, f)
		b = wire.AppendString(b, reply.Signature)
		r := v.replies()
		r[i] = b
		return kexCase{name: name, replies: r}
	}
	one := big.NewInt(1)
	return []kexCase{
		withF("f = 0", big.NewInt(0)),
		withF("f = 1", one),
		withF("f = p-1", new(big.Int).Sub(p, one)),
		withF("f = p", p),
		withF("f = p+1", new(big.Int).Add(p, one)),
		withF("f = 2p+2", new(big.Int).Add(new(big.Int).Lsh(p, 1), big.NewInt(2))),
		withF("f = 2^(2*bits)", new(big.Int).Lsh(one, uint(2*p.BitLen()))),
		withRawF("f negative", []byte{0x80, 0x01}),
		withRawF("f = -1", []byte{0xff}),
		withRawF("f empty", nil),
	}
}

func kexGexCases(v *kexVector) []kexCase {
	p, g, err := wire.ParseKexGexGroup(v.ServerMessages[0])
	if err != nil {
		panic(err)
	}
	withGroup := func(name string, p, g *big.Int) kexCase {
		r := v.replies()
		r[0] = wire.AppendKexGexGroup(nil, p, g)
		return kexCase{name: name, replies: r}
	}
	one := big.NewInt(1)
	bitsBelow := new(big.Int).Sub(new(big.Int).Lsh(one, uint(v.GexMin-1)), one) // min-1 bits, odd
	bitsAbove := new(big.Int).Add(new(big.Int).Lsh(one, uint(v.GexMax)), one)   // max+1 bits, odd
	cases := []kexCase{
		withGroup("p = 0", big.NewInt(0), g),
		withGroup("p = 1", one, g),
		withGroup("p = 23", big.NewInt(23), g),
		withGroup("group1 (1024 bits)", oakleyGroup2.p, g),
		withGroup("p one bit below min", bitsBelow, g),
		withGroup("p one bit above max", bitsAbove, g),
		withGroup("p even", new(big.Int).Add(p, one), g),
		withGroup("g = 0", p, big.NewInt(0)),
		withGroup("g = 1", p, one),
		withGroup("g = p-1", p, new(big.Int).Sub(p, one)),
		withGroup("g = p", p, p),
		withGroup("g = p+2", p, new(big.Int).Add(p, big.NewInt(2))),
		// The reply where the group belongs.
		{name: "reply instead of group", replies: [][]byte{v.ServerMessages[1]}},
		// The group twice.
		{name: "group twice", replies: [][]byte{v.ServerMessages[0], v.ServerMessages[0]}},
	}
	return append(cases, kexDHCases(v, p, 1, wire.MsgKexGexReply)...)
}

// TestKexGexRejectsBadSizes checks the sizes a caller may ask for.
func TestKexGexRejectsBadSizes(t *testing.T) {
	m := kexMethods["diffie-hellman-group-exchange-sha256"]
	for _, s := range [][3]uint32{
		{512, 1024, 2048},
		{2048, 1024, 8192},
		{2048, 8192, 4096},
		{2048, 3072, 16384},
		{4096, 0, 3072},
		{2048, 3072, 1024},
	} {
		tr := &kexFakeTransport{}
		_, err := m.run(tr, &kexInput{rand: &kexStream{}, gexMin: s[0], gexN: s[1], gexMax: s[2]})
		if !asKexError(err) {
			t.Errorf("sizes %v: %v, want a *KexError", s, err)
		}
		if len(tr.sent) != 0 {
			t.Errorf("sizes %v: sent a request", s)
		}
	}
	// The defaults: min 2048, n 3072, max 8192; n follows min and max
	// when only they are given.
	for _, s := range []struct{ in, want wire.KexGexRequest }{
		{wire.KexGexRequest{}, wire.KexGexRequest{Min: 2048, N: 3072, Max: 8192}},
		{wire.KexGexRequest{Min: 4096}, wire.KexGexRequest{Min: 4096, N: 4096, Max: 8192}},
		{wire.KexGexRequest{Max: 2048}, wire.KexGexRequest{Min: 2048, N: 2048, Max: 2048}},
		{wire.KexGexRequest{N: 8192}, wire.KexGexRequest{Min: 2048, N: 8192, Max: 8192}},
	} {
		tr := &kexFakeTransport{}
		m.run(tr, &kexInput{rand: &kexStream{}, gexMin: s.in.Min, gexN: s.in.N, gexMax: s.in.Max})
		want := s.want.Append(nil)
		if len(tr.sent) != 1 || !bytes.Equal(tr.sent[0], want) {
			t.Errorf("sizes %+v: request %x, want %x", s.in, tr.sent, want)
		}
	}
}

// TestKexBadRandom checks that a failing or degenerate random source is an
// error, not a weak key.
func TestKexBadRandom(t *testing.T) {
	for name, m := range kexMethods {
		// The group exchange reads its randomness only once it has the
		// group, so give it one.
		var replies [][]byte
		if _, ok := m.(*gexKex); ok {
			replies = [][]byte{wire.AppendKexGexGroup(nil, modpGroup16.p, modpGroup16.g)}
		}
		_, err := m.run(&kexFakeTransport{replies: replies}, &kexInput{rand: strings.NewReader("")})
		if !asKexError(err) || !errors.Is(err, io.EOF) {
			t.Errorf("%s with empty rand: %v", name, err)
		}
		if strings.HasPrefix(name, "ecdh-") || strings.HasPrefix(name, "diffie-hellman-group1") {
			// All-ones scalars are above every NIST order; an all-zero
			// exponent is below 2. Both must be drawn again, and a source
			// that never yields anything else must be an error.
			src := &kexConstReader{b: 0xff}
			if strings.HasPrefix(name, "diffie-hellman") {
				src.b = 0
			}
			_, err := m.run(&kexFakeTransport{}, &kexInput{rand: src})
			if !asKexError(err) {
				t.Errorf("%s with constant rand: %v", name, err)
			}
		}
	}
}

type kexConstReader struct{ b byte }

func (r *kexConstReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// TestKexTransportErrors checks that the connection's errors come back as
// they are.
func TestKexTransportErrors(t *testing.T) {
	boom := errors.New("boom")
	for name, m := range kexMethods {
		_, err := m.run(&kexErrTransport{write: boom}, &kexInput{rand: &kexStream{}})
		if !errors.Is(err, boom) {
			t.Errorf("%s: write error came back as %v", name, err)
		}
		_, err = m.run(&kexErrTransport{read: boom}, &kexInput{rand: &kexStream{}})
		if !errors.Is(err, boom) {
			t.Errorf("%s: read error came back as %v", name, err)
		}
	}
}

type kexErrTransport struct{ write, read error }

func (e *kexErrTransport) writePacket([]byte) error    { return e.write }
func (e *kexErrTransport) readPacket() ([]byte, error) { return nil, e.read }
