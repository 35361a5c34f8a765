package transport

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/md5"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// GSS-API key exchange (RFC 4462 section 2, RFC 8732): the key agreement
// of a named method, with the GSS-API context establishment riding on its
// messages, and the server authenticated by its MIC over the exchange
// hash instead of a host key signature.

// GSSConfig turns on GSS-API key exchange.
type GSSConfig struct {
	Mechanism gssapi.Mechanism
	// Target is the host-based service name, "host@server".
	Target string
	// Delegate asks the mechanism to forward the user's credentials.
	Delegate bool
	// Methods are the method families to offer, in order, without the
	// mechanism suffix; nil means DefaultGSSKexMethods.
	Methods []string
}

// The GSS-API key exchange messages (RFC 4462 section 2.5).
const (
	msgKexGSSInit     = 30
	msgKexGSSContinue = 31
	msgKexGSSComplete = 32
	msgKexGSSHostKey  = 33
	msgKexGSSError    = 34
	msgKexGSSGroupReq = 40
	msgKexGSSGroup    = 41
)

// DefaultGSSKexMethods are the GSS-API key exchange families amiko
// offers, strongest first (RFC 8732's recommendations). The SHA-1 ones,
// gss-group14-sha1- and gss-gex-sha1-, are legacy opt-ins.
var DefaultGSSKexMethods = []string{"gss-curve25519-sha256-", "gss-nistp256-sha256-", "gss-group16-sha512-", "gss-group14-sha256-"}

// LegacyGSSKexMethods are implemented but offered only when listed.
var LegacyGSSKexMethods = []string{"gss-group14-sha1-", "gss-gex-sha1-"}

// GSSMechanismSuffix is what a GSS-API key exchange method name ends
// with for mechanism oid: the base64 of the MD5 of its DER encoding
// (RFC 4462 section 2.3); "toWM5Slw5Ew8Mqkay+al2g==" for Kerberos 5.
func GSSMechanismSuffix(oid asn1.ObjectIdentifier) (string, error) {
	der, err := asn1.Marshal(oid)
	if err != nil {
		return "", err
	}
	sum := md5.Sum(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// gssKexNames returns the method names to offer for cfg.
func gssKexNames(cfg *GSSConfig) ([]string, error) {
	suffix, err := GSSMechanismSuffix(cfg.Mechanism.OID())
	if err != nil {
		return nil, err
	}
	families := cfg.Methods
	if families == nil {
		families = DefaultGSSKexMethods
	}
	names := make([]string, 0, len(families))
	for _, f := range families {
		if _, ok := gssFamilies[f]; !ok {
			return nil, fmt.Errorf("ssh: unsupported GSS-API key exchange method %q", f)
		}
		names = append(names, f+suffix)
	}
	return names, nil
}

// gssAgreement is the key agreement under a GSS-API key exchange.
type gssAgreement interface {
	// start returns the client's public value as KEXGSS_INIT carries it
	// (mpint e, or string Q_C).
	start(name string, in *kexInput) ([]byte, error)
	// finish reads the server's public value from KEXGSS_COMPLETE and
	// returns it as hashed, and K.
	finish(name string, d *wire.Reader) (serverValue, K []byte, err error)
}

// gssFamily is one GSS-API kex family: its hash and agreement.
type gssFamily struct {
	hash  crypto.Hash
	agree func() gssAgreement
	gex   bool // the group comes from a GROUPREQ/GROUP exchange
}

var gssFamilies = map[string]gssFamily{
	"gss-curve25519-sha256-": {hash: crypto.SHA256, agree: func() gssAgreement { return &x25519Agreement{} }},
	"gss-nistp256-sha256-": {hash: crypto.SHA256, agree: func() gssAgreement {
		return &nistAgreement{kex: kexMethods["ecdh-sha2-nistp256"].(*ecdhKex)}
	}},
	"gss-group16-sha512-": {hash: crypto.SHA512, agree: func() gssAgreement { return &dhAgreement{group: modpGroup16} }},
	"gss-group14-sha256-": {hash: crypto.SHA256, agree: func() gssAgreement { return &dhAgreement{group: modpGroup14} }},
	"gss-group14-sha1-":   {hash: crypto.SHA1, agree: func() gssAgreement { return &dhAgreement{group: modpGroup14} }},
	"gss-gex-sha1-":       {hash: crypto.SHA1, agree: func() gssAgreement { return &dhAgreement{} }, gex: true},
}

// gssKexMethod returns the method for a negotiated GSS-API kex name.
func gssKexMethod(name string, cfg *GSSConfig) (kexMethod, bool) {
	if cfg == nil || !strings.HasPrefix(name, "gss-") {
		return nil, false
	}
	suffix, err := GSSMechanismSuffix(cfg.Mechanism.OID())
	if err != nil || !strings.HasSuffix(name, suffix) {
		return nil, false
	}
	fam, ok := gssFamilies[strings.TrimSuffix(name, suffix)]
	if !ok {
		return nil, false
	}
	return &gssKex{name: name, family: fam, cfg: cfg}, true
}

type gssKex struct {
	name   string
	family gssFamily
	cfg    *GSSConfig
}

// maxGSSKexTokens bounds the context's round trips within a kex.
const maxGSSKexTokens = 16

func (k *gssKex) run(t kexTransport, in *kexInput) (*kexResult, error) {
	agree := k.family.agree()
	var prefix []byte // the group exchange's values, hashed before e
	if k.family.gex {
		grp, p, err := k.requestGroup(t, in)
		if err != nil {
			return nil, err
		}
		agree.(*dhAgreement).group = grp
		prefix = p
	}
	ctx, err := k.cfg.Mechanism.InitSecContext(in.ctx, k.cfg.Target, gssapi.ContextOptions{Delegate: k.cfg.Delegate})
	if err != nil {
		return nil, &GSSKexError{Method: k.name, Err: err}
	}
	res, err := k.exchange(t, in, ctx, agree, prefix)
	if err != nil {
		ctx.Close()
		return nil, err
	}
	res.gssContext = ctx
	return res, nil
}

// exchange runs KEXGSS_INIT to KEXGSS_COMPLETE.
func (k *gssKex) exchange(t kexTransport, in *kexInput, ctx gssapi.Context, agree gssAgreement, prefix []byte) (*kexResult, error) {
	token, established, err := ctx.Step(nil)
	if err != nil {
		return nil, &GSSKexError{Method: k.name, Err: err}
	}
	clientValue, err := agree.start(k.name, in)
	if err != nil {
		return nil, err
	}
	initMsg := wire.AppendString([]byte{msgKexGSSInit}, token)
	if err := t.writePacket(append(initMsg, clientValue...)); err != nil {
		return nil, err
	}
	var hostKey []byte
	var serverErr *GSSKexError
	for round := 0; ; round++ {
		if round > maxGSSKexTokens {
			return nil, kexErrorf(k.name, nil, "more than %d GSS-API tokens", maxGSSKexTokens)
		}
		p, err := t.readPacket()
		if err != nil {
			return nil, err
		}
		if len(p) == 0 {
			return nil, kexErrorf(k.name, nil, "empty packet")
		}
		d := wire.NewReader("KEXGSS", p[1:])
		switch p[0] {
		case msgKexGSSHostKey:
			hostKey = bytes.Clone(d.String("host key"))
			if err := d.End(); err != nil {
				return nil, kexErrorf(k.name, err, "bad KEXGSS_HOSTKEY")
			}
		case msgKexGSSError:
			e := &GSSKexError{Method: k.name, Major: d.Uint32("major status"), Minor: d.Uint32("minor status"), Server: d.Text("message")}
			d.String("language tag")
			if err := d.End(); err != nil {
				return nil, kexErrorf(k.name, err, "bad KEXGSS_ERROR")
			}
			// The server ends the exchange after it; keep its words for
			// the error that follows.
			serverErr = e
		case msgKexGSSContinue:
			tok := d.String("token")
			if err := d.End(); err != nil {
				return nil, kexErrorf(k.name, err, "bad KEXGSS_CONTINUE")
			}
			if established {
				return nil, kexErrorf(k.name, nil, "KEXGSS_CONTINUE after the context was established")
			}
			out, done, err := ctx.Step(tok)
			if err != nil {
				return nil, gssErr(k.name, err, serverErr)
			}
			established = done
			if len(out) > 0 {
				if err := t.writePacket(wire.AppendString([]byte{msgKexGSSContinue}, out)); err != nil {
					return nil, err
				}
			}
		case msgKexGSSComplete:
			serverValue, K, err := agree.finish(k.name, d)
			if err != nil {
				return nil, err
			}
			mic := bytes.Clone(d.String("MIC"))
			var last []byte
			if d.Bool("has token") {
				last = d.String("token")
			}
			if err := d.End(); err != nil {
				return nil, kexErrorf(k.name, err, "bad KEXGSS_COMPLETE")
			}
			if last != nil {
				if established {
					return nil, kexErrorf(k.name, nil, "a token in KEXGSS_COMPLETE after the context was established")
				}
				out, done, err := ctx.Step(last)
				if err != nil {
					return nil, gssErr(k.name, err, serverErr)
				}
				if len(out) > 0 {
					return nil, kexErrorf(k.name, nil, "the context wants to send a token after KEXGSS_COMPLETE")
				}
				established = done
			}
			if !established {
				return nil, kexErrorf(k.name, nil, "KEXGSS_COMPLETE before the GSS-API context was established")
			}
			values := append(bytes.Clone(prefix), clientValue...)
			values = append(values, serverValue...)
			values = append(values, K...)
			H := exchangeHash(k.family.hash, in, hostKey, values)
			// The server's MIC over H authenticates it (RFC 4462 section
			// 2.1): mutual authentication and integrity are what the
			// mechanism was asked for, and this proves them.
			if err := ctx.VerifyMIC(H, mic); err != nil {
				return nil, &GSSKexError{Method: k.name, Err: err}
			}
			return &kexResult{H: H, K: K, HostKey: hostKey, Hash: k.family.hash, serverAuthenticated: true}, nil
		default:
			if serverErr != nil {
				return nil, serverErr
			}
			return nil, kexErrorf(k.name, nil, "unexpected message %d", p[0])
		}
	}
}

// requestGroup runs the group exchange of gss-gex-sha1- (RFC 4462
// section 2.2) and returns the group and its hashed prefix.
func (k *gssKex) requestGroup(t kexTransport, in *kexInput) (*dhGroup, []byte, error) {
	g := &gexKex{name: k.name}
	lo, n, hi, err := g.gexSizes(in)
	if err != nil {
		return nil, nil, err
	}
	req := wire.AppendUint32([]byte{msgKexGSSGroupReq}, lo)
	req = wire.AppendUint32(req, n)
	req = wire.AppendUint32(req, hi)
	if err := t.writePacket(req); err != nil {
		return nil, nil, err
	}
	p, err := readKexMessage(t, k.name, msgKexGSSGroup, "KEXGSS_GROUP")
	if err != nil {
		return nil, nil, err
	}
	d := wire.NewReader("KEXGSS_GROUP", p[1:])
	prime, gen := d.MPInt("p"), d.MPInt("g")
	if err := d.End(); err != nil {
		return nil, nil, kexErrorf(k.name, err, "bad KEXGSS_GROUP")
	}
	grp, err := g.checkGroup(prime, gen, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	prefix := wire.AppendUint32(nil, lo)
	prefix = wire.AppendUint32(prefix, n)
	prefix = wire.AppendUint32(prefix, hi)
	prefix = wire.AppendMPInt(prefix, prime)
	prefix = wire.AppendMPInt(prefix, gen)
	return grp, prefix, nil
}

// gssErr is a mechanism's failure, with the server's KEXGSS_ERROR if one
// came before it.
func gssErr(method string, err error, serverErr *GSSKexError) error {
	if serverErr != nil {
		serverErr.Err = err
		return serverErr
	}
	return &GSSKexError{Method: method, Err: err}
}

// GSSKexError is a GSS-API key exchange that failed in the mechanism (no
// ticket, a MIC that does not verify) or on the server (KEXGSS_ERROR,
// whose text is in Server).
type GSSKexError struct {
	Method       string
	Err          error
	Server       string
	Major, Minor uint32
}

func (e *GSSKexError) Error() string {
	switch {
	case e.Err != nil && e.Server != "":
		return fmt.Sprintf("ssh: GSS-API key exchange %s: %v (the server says %q)", e.Method, e.Err, e.Server)
	case e.Err != nil:
		return fmt.Sprintf("ssh: GSS-API key exchange %s: %v", e.Method, e.Err)
	}
	return fmt.Sprintf("ssh: GSS-API key exchange %s: the server's GSS-API failed: %q (major %#x, minor %d)", e.Method, e.Server, e.Major, e.Minor)
}

func (e *GSSKexError) Unwrap() error { return e.Err }

// dhAgreement is finite-field Diffie-Hellman: mpint e, mpint f.
type dhAgreement struct {
	group *dhGroup
	x, e  *big.Int
}

func (a *dhAgreement) start(name string, in *kexInput) ([]byte, error) {
	x, e, err := dhKeyPair(name, in, a.group)
	if err != nil {
		return nil, err
	}
	a.x, a.e = x, e
	return wire.AppendMPInt(nil, e), nil
}

func (a *dhAgreement) finish(name string, d *wire.Reader) ([]byte, []byte, error) {
	defer clear(a.x.Bits())
	f := d.MPInt("f")
	if d.Err() != nil {
		return nil, nil, kexErrorf(name, d.Err(), "bad KEXGSS_COMPLETE")
	}
	if !a.group.inRange(f) {
		return nil, nil, kexErrorf(name, nil, "server's public value f is out of range")
	}
	k := new(big.Int).Exp(f, a.x, a.group.p)
	defer clear(k.Bits())
	if !a.group.inRange(k) {
		return nil, nil, kexErrorf(name, nil, "shared secret is degenerate: server's f has small order")
	}
	return wire.AppendMPInt(nil, f), wire.AppendMPInt(nil, k), nil
}

// x25519Agreement is X25519 (RFC 8732 with RFC 8731's checks): string
// Q_C, string Q_S.
type x25519Agreement struct {
	priv *ecdh.PrivateKey
}

func (a *x25519Agreement) start(name string, in *kexInput) ([]byte, error) {
	priv, err := x25519PrivateKey(name, in)
	if err != nil {
		return nil, err
	}
	a.priv = priv
	return wire.AppendString(nil, priv.PublicKey().Bytes()), nil
}

func (a *x25519Agreement) finish(name string, d *wire.Reader) ([]byte, []byte, error) {
	qs := d.String("Q_S")
	if d.Err() != nil {
		return nil, nil, kexErrorf(name, d.Err(), "bad KEXGSS_COMPLETE")
	}
	secret, err := x25519Shared(name, a.priv, qs)
	if err != nil {
		return nil, nil, err
	}
	defer clear(secret)
	return wire.AppendString(nil, qs), wire.AppendMPIntBytes(nil, secret), nil
}

// nistAgreement is ECDH on a NIST curve (RFC 8732): string Q_C, string
// Q_S.
type nistAgreement struct {
	kex  *ecdhKex
	priv *ecdh.PrivateKey
}

func (a *nistAgreement) start(name string, in *kexInput) ([]byte, error) {
	priv, err := a.kex.privateKey(in)
	if err != nil {
		return nil, err
	}
	a.priv = priv
	return wire.AppendString(nil, priv.PublicKey().Bytes()), nil
}

func (a *nistAgreement) finish(name string, d *wire.Reader) ([]byte, []byte, error) {
	qs := d.String("Q_S")
	if d.Err() != nil {
		return nil, nil, kexErrorf(name, d.Err(), "bad KEXGSS_COMPLETE")
	}
	pub, err := a.kex.curve.NewPublicKey(qs)
	if err != nil {
		return nil, nil, kexErrorf(name, err, "bad server public point")
	}
	secret, err := a.priv.ECDH(pub)
	if err != nil {
		return nil, nil, kexErrorf(name, err, "ECDH with server public point")
	}
	defer clear(secret)
	return wire.AppendString(nil, qs), wire.AppendMPIntBytes(nil, secret), nil
}

// hostKeyNull is the host key algorithm of a server that has none but
// GSS-API (RFC 4462 section 5).
const hostKeyNull = "null"
