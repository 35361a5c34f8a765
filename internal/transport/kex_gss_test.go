package transport

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/gsstest"
	"github.com/amiko-ssh/amiko/internal/wire"
)

// gssKexServer is the server side of a GSS-API key exchange for tests,
// with the test mechanism's acceptor: it answers KEXGSS_INIT as a server
// would, computing its own half of the agreement and the MIC over H.
type gssKexServer struct {
	t       *testing.T
	family  string
	in      *kexInput
	hostKey []byte // sent in KEXGSS_HOSTKEY if set
	// tamper, if set, changes COMPLETE before it is sent.
	tamper func(micH []byte) []byte
	// errorFirst sends a KEXGSS_ERROR before a token the mechanism
	// refuses.
	errorFirst bool

	queue [][]byte
	H     []byte
}

func (s *gssKexServer) writePacket(p []byte) error {
	if p[0] != msgKexGSSInit {
		s.t.Fatalf("client sent message %d", p[0])
	}
	d := wire.NewReader("", p[1:])
	if tok := d.String("token"); string(tok) != "ap-req" {
		s.t.Fatalf("token %q", tok)
	}
	if s.errorFirst {
		e := wire.AppendUint32([]byte{msgKexGSSError}, 0xd0000)
		e = wire.AppendUint32(e, 5)
		e = wire.AppendText(e, "Server not found in Kerberos database")
		e = wire.AppendText(e, "")
		s.queue = append(s.queue, e, wire.AppendString([]byte{msgKexGSSContinue}, []byte("krb-error")))
		return nil
	}
	var clientValue, serverValue, K []byte
	fam := gssFamilies[s.family]
	switch s.family {
	case "gss-group14-sha256-", "gss-group16-sha512-", "gss-group14-sha1-":
		grp := fam.agree().(*dhAgreement)
		grp.group = map[string]*dhGroup{"gss-group14-sha256-": modpGroup14, "gss-group16-sha512-": modpGroup16, "gss-group14-sha1-": modpGroup14}[s.family]
		e := d.MPInt("e")
		y, _ := rand.Int(rand.Reader, grp.group.pMinus1)
		f := new(big.Int).Exp(grp.group.g, y, grp.group.p)
		clientValue = wire.AppendMPInt(nil, e)
		serverValue = wire.AppendMPInt(nil, f)
		K = wire.AppendMPInt(nil, new(big.Int).Exp(e, y, grp.group.p))
	default:
		curve := map[string]ecdh.Curve{"gss-curve25519-sha256-": ecdh.X25519(), "gss-nistp256-sha256-": ecdh.P256()}[s.family]
		qc := d.String("Q_C")
		priv, _ := curve.GenerateKey(rand.Reader)
		pub, err := curve.NewPublicKey(qc)
		if err != nil {
			s.t.Fatal(err)
		}
		secret, _ := priv.ECDH(pub)
		clientValue = wire.AppendString(nil, qc)
		serverValue = wire.AppendString(nil, priv.PublicKey().Bytes())
		K = wire.AppendMPIntBytes(nil, secret)
	}
	if d.End() != nil {
		s.t.Fatalf("KEXGSS_INIT % x", p)
	}
	values := append(append(clientValue, serverValue...), K...)
	s.H = exchangeHash(fam.hash, s.in, s.hostKey, values)
	if s.hostKey != nil {
		s.queue = append(s.queue, wire.AppendString([]byte{msgKexGSSHostKey}, s.hostKey))
	}
	mic := gsstest.MIC(s.H)
	if s.tamper != nil {
		mic = s.tamper(mic)
	}
	c := append([]byte{msgKexGSSComplete}, serverValue...)
	c = wire.AppendString(c, mic)
	c = wire.AppendBool(c, true)
	c = wire.AppendString(c, []byte("ap-rep"))
	s.queue = append(s.queue, c)
	return nil
}

func (s *gssKexServer) readPacket() ([]byte, error) {
	if len(s.queue) == 0 {
		return nil, io.EOF
	}
	p := s.queue[0]
	s.queue = s.queue[1:]
	return p, nil
}

func gssTestInput() *kexInput {
	return &kexInput{ctx: context.Background(), clientVersion: []byte("SSH-2.0-amiko"), serverVersion: []byte("SSH-2.0-test"),
		clientKexInit: []byte{20, 1}, serverKexInit: []byte{20, 2}, gexMin: 2048, gexN: 3072, gexMax: 8192}
}

// TestGSSKexFamilies: each family agrees on K and H with an independent
// server computation, the server's MIC over H authenticates it, and the
// established context is kept for gssapi-keyex.
func TestGSSKexFamilies(t *testing.T) {
	suffix, _ := GSSMechanismSuffix(gssapi.OIDKerberos5)
	if suffix != "toWM5Slw5Ew8Mqkay+al2g==" {
		t.Fatalf("Kerberos 5 suffix %q", suffix)
	}
	cfg := &GSSConfig{Mechanism: &gsstest.Mechanism{}, Target: "host@server"}
	for _, family := range []string{"gss-curve25519-sha256-", "gss-nistp256-sha256-", "gss-group16-sha512-", "gss-group14-sha256-", "gss-group14-sha1-"} {
		for _, hostKey := range [][]byte{nil, []byte("a host key blob")} {
			in := gssTestInput()
			srv := &gssKexServer{t: t, family: family, in: in, hostKey: hostKey}
			m, ok := gssKexMethod(family+suffix, cfg)
			if !ok {
				t.Fatalf("%s: no method", family)
			}
			res, err := m.run(srv, in)
			if err != nil {
				t.Fatalf("%s: %v", family, err)
			}
			if !bytes.Equal(res.H, srv.H) || !res.serverAuthenticated || res.gssContext == nil || !bytes.Equal(res.HostKey, hostKey) {
				t.Fatalf("%s: H %x (server %x), authenticated %v", family, res.H, srv.H, res.serverAuthenticated)
			}
		}
	}
	if _, ok := gssKexMethod("gss-group14-sha256-otherMechanism==", cfg); ok {
		t.Fatal("a method of another mechanism was accepted")
	}
}

// TestGSSKexFailures: a MIC that does not verify, a mechanism without
// credentials, and the server's KEXGSS_ERROR each end in a typed error.
func TestGSSKexFailures(t *testing.T) {
	suffix, _ := GSSMechanismSuffix(gssapi.OIDKerberos5)
	name := "gss-curve25519-sha256-" + suffix
	run := func(mech gssapi.Mechanism, srv *gssKexServer) error {
		srv.t, srv.family, srv.in = t, "gss-curve25519-sha256-", gssTestInput()
		m, _ := gssKexMethod(name, &GSSConfig{Mechanism: mech, Target: "host@server"})
		_, err := m.run(srv, srv.in)
		return err
	}
	var ge *GSSKexError
	err := run(&gsstest.Mechanism{}, &gssKexServer{tamper: func(mic []byte) []byte { mic[len(mic)-1] ^= 1; return mic }})
	if !errors.As(err, &ge) || !errors.Is(err, gssapi.ErrBadMIC) {
		t.Fatalf("tampered MIC: %v", err)
	}
	err = run(&gsstest.Mechanism{InitErr: gssapi.ErrNoCredentials}, &gssKexServer{})
	if !errors.As(err, &ge) || !errors.Is(err, gssapi.ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
	err = run(&gsstest.Mechanism{}, &gssKexServer{errorFirst: true})
	if !errors.As(err, &ge) || !strings.Contains(ge.Server, "not found in Kerberos database") {
		t.Fatalf("server error: %v", err)
	}
}

// FuzzKexGSS feeds arbitrary server messages to a GSS-API key exchange:
// a result or an error, never a panic.
func FuzzKexGSS(f *testing.F) {
	suffix, _ := GSSMechanismSuffix(gssapi.OIDKerberos5)
	complete := wire.AppendString([]byte{msgKexGSSComplete}, make([]byte, 32))
	complete = wire.AppendString(complete, []byte("mic:"))
	complete = wire.AppendBool(complete, true)
	complete = wire.AppendString(complete, []byte("ap-rep"))
	f.Add(uint8(0), wire.AppendString([]byte{msgKexGSSHostKey}, []byte("k")), complete)
	f.Add(uint8(2), wire.AppendString([]byte{msgKexGSSContinue}, []byte("ap-rep")), []byte{msgKexGSSError})
	f.Add(uint8(5), wire.AppendUint32(wire.AppendUint32([]byte{msgKexGSSGroup}, 1), 2), complete)
	families := []string{"gss-curve25519-sha256-", "gss-nistp256-sha256-", "gss-group16-sha512-", "gss-group14-sha256-", "gss-group14-sha1-", "gss-gex-sha1-"}
	f.Fuzz(func(t *testing.T, family uint8, first, second []byte) {
		name := families[int(family)%len(families)] + suffix
		m, _ := gssKexMethod(name, &GSSConfig{Mechanism: &gsstest.Mechanism{}, Target: "host@s"})
		tr := &kexFakeTransport{replies: [][]byte{first, second}}
		in := gssTestInput()
		in.rand = &kexStream{n: family}
		res, err := m.run(tr, in)
		if err != nil {
			var ge *GSSKexError
			if !asKexError(err) && !errors.As(err, &ge) && !errors.Is(err, io.EOF) {
				t.Fatalf("%s: error %v (%T)", name, err, err)
			}
			return
		}
		if len(res.H) != res.Hash.Size() || !res.serverAuthenticated {
			t.Fatalf("%s: accepted %+v", name, res)
		}
	})
}
