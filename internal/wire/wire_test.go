package wire_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// parseErr returns err as a *wire.ParseError, failing the test if it is
// not one.
func parseErr(t *testing.T, err error) *wire.ParseError {
	t.Helper()
	var pe *wire.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *wire.ParseError", err, err)
	}
	return pe
}

// allocBytes returns the bytes f allocates per call, averaged over runs
// calls after a first one, as testing.AllocsPerRun counts allocations.
func allocBytes(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWireReaderReadsTypes(t *testing.T) {
	var b []byte
	b = append(b, 7)
	b = wire.AppendBool(b, true)
	b = append(b, 2) // any non-zero byte is true
	b = wire.AppendBool(b, false)
	b = wire.AppendUint32(b, 0xdeadbeef)
	b = binary.BigEndian.AppendUint64(b, 0x0123456789abcdef)
	b = wire.AppendString(b, []byte("str\x00ing"))
	b = wire.AppendText(b, "text")
	b = wire.AppendNameList(b, []string{"a", "bc", "def@example.com"})
	b = wire.AppendNameList(b, nil)
	b = wire.AppendMPInt(b, big.NewInt(0x80))
	b = append(b, "raw"...)

	r := wire.NewReader("TEST", b)
	if got := r.Byte("byte"); got != 7 {
		t.Errorf("Byte = %d", got)
	}
	if !r.Bool("true") || !r.Bool("two") || r.Bool("false") {
		t.Error("Bool decoded wrongly")
	}
	if got := r.Uint32("uint32"); got != 0xdeadbeef {
		t.Errorf("Uint32 = %#x", got)
	}
	if got := r.Uint64("uint64"); got != 0x0123456789abcdef {
		t.Errorf("Uint64 = %#x", got)
	}
	if got := r.String("string"); string(got) != "str\x00ing" {
		t.Errorf("String = %q", got)
	}
	if got := r.Text("text"); got != "text" {
		t.Errorf("Text = %q", got)
	}
	if got := r.NameList("names"); !slices.Equal(got, []string{"a", "bc", "def@example.com"}) {
		t.Errorf("NameList = %q", got)
	}
	if got := r.NameList("empty"); len(got) != 0 {
		t.Errorf("empty NameList = %q", got)
	}
	if got := r.MPInt("mpint"); got == nil || got.Int64() != 0x80 {
		t.Errorf("MPInt = %v", got)
	}
	if r.Len() != 3 {
		t.Errorf("Len = %d, want 3", r.Len())
	}
	if got := r.Bytes("raw", 3); string(got) != "raw" {
		t.Errorf("Bytes = %q", got)
	}
	if err := r.End(); err != nil {
		t.Errorf("End = %v", err)
	}
}

// TestWireReaderStickyError: after the first failure every read returns
// its zero value, even where bytes would be left, and Err and End keep
// naming the first field that failed.
func TestWireReaderStickyError(t *testing.T) {
	b := []byte{0, 0, 0, 20, 'a', 'b', 'c', 1, 2, 3, 4, 5, 6, 7, 8, 9}
	r := wire.NewReader("TEST", b)
	if s := r.String("first"); s != nil {
		t.Fatalf("String past the input = %q", s)
	}
	check := func(what string) {
		t.Helper()
		pe := parseErr(t, r.Err())
		if pe.Msg != "TEST" || pe.Field != "first" {
			t.Fatalf("after %s: error %+v, want TEST/first", what, pe)
		}
	}
	check("String")
	if v := r.Byte("second"); v != 0 {
		t.Errorf("Byte after failure = %d", v)
	}
	check("Byte")
	if r.Bool("bool") {
		t.Error("Bool after failure = true")
	}
	if v := r.Uint32("u"); v != 0 {
		t.Errorf("Uint32 after failure = %d", v)
	}
	if v := r.Bytes("bytes", 0); v != nil {
		t.Errorf("Bytes(0) after failure = %q", v)
	}
	if v := r.String("s"); v != nil {
		t.Errorf("String after failure = %q", v)
	}
	if v := r.Text("t"); v != "" {
		t.Errorf("Text after failure = %q", v)
	}
	if v := r.NameList("n"); v != nil {
		t.Errorf("NameList after failure = %q", v)
	}
	if v := r.MPInt("m"); v != nil {
		t.Errorf("MPInt after failure = %v", v)
	}
	if r.Len() != 0 {
		t.Errorf("Len after failure = %d", r.Len())
	}
	if rest := r.Rest(); len(rest) != 0 {
		t.Errorf("Rest after failure = %q", rest)
	}
	check("every read")
	pe := parseErr(t, r.End())
	if pe.Field != "first" {
		t.Errorf("End after failure names %q, want the first failure", pe.Field)
	}
	if msg := pe.Error(); !strings.Contains(msg, "TEST") || !strings.Contains(msg, "first") {
		t.Errorf("error text %q names neither message nor field", msg)
	}
}

func TestWireReaderEnd(t *testing.T) {
	r := wire.NewReader("TEST", []byte{1, 2, 3})
	r.Byte("b")
	if r.Err() != nil {
		t.Fatalf("Err = %v", r.Err())
	}
	pe := parseErr(t, r.End())
	if pe.Msg != "TEST" || pe.Field != "" {
		t.Errorf("End with trailing data = %+v", pe)
	}
	if !strings.Contains(pe.Error(), "trailing data") {
		t.Errorf("error text %q does not say trailing data", pe.Error())
	}
	if rest := r.Rest(); !bytes.Equal(rest, []byte{2, 3}) {
		t.Errorf("Rest = %v", rest)
	}
	if err := r.End(); err != nil {
		t.Errorf("End after Rest = %v", err)
	}
	if err := wire.NewReader("TEST", nil).End(); err != nil {
		t.Errorf("End of nothing = %v", err)
	}
}

func TestWireReaderShortInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		read func(r *wire.Reader)
	}{
		{"Byte", nil, func(r *wire.Reader) { r.Byte("f") }},
		{"Bool", nil, func(r *wire.Reader) { r.Bool("f") }},
		{"Uint32", []byte{1, 2, 3}, func(r *wire.Reader) { r.Uint32("f") }},
		{"Uint64", []byte{1, 2, 3, 4, 5, 6, 7}, func(r *wire.Reader) { r.Uint64("f") }},
		{"Bytes", []byte{1, 2, 3}, func(r *wire.Reader) { r.Bytes("f", 4) }},
		{"Bytes negative", []byte{1, 2, 3}, func(r *wire.Reader) { r.Bytes("f", -1) }},
		{"String length", []byte{0, 0, 0}, func(r *wire.Reader) { r.String("f") }},
		{"MPInt length", []byte{0, 0}, func(r *wire.Reader) { r.MPInt("f") }},
		{"NameList length", []byte{0}, func(r *wire.Reader) { r.NameList("f") }},
	} {
		r := wire.NewReader("TEST", tc.b)
		tc.read(r)
		if pe := parseErr(t, r.Err()); pe.Field != "f" {
			t.Errorf("%s: error names field %q", tc.name, pe.Field)
		}
	}
}

// TestWireReaderStringBeyondInput: a string whose length is more than
// what is left fails, whatever the length, and never allocates for it.
func TestWireReaderStringBeyondInput(t *testing.T) {
	for _, n := range []uint32{1, 5, 6, 0x7fffffff, 0x80000000, 0xfffffffb, 0xffffffff} {
		b := wire.AppendUint32(nil, n)
		b = append(b, "abcde"...)
		if n <= 5 {
			r := wire.NewReader("TEST", b)
			if s := r.String("s"); len(s) != int(n) || r.Err() != nil {
				t.Errorf("length %d: String = %q, %v", n, s, r.Err())
			}
			continue
		}
		for _, read := range []func(r *wire.Reader){
			func(r *wire.Reader) { r.String("s") },
			func(r *wire.Reader) { r.Text("s") },
			func(r *wire.Reader) { r.NameList("s") },
			func(r *wire.Reader) { r.MPInt("s") },
		} {
			r := wire.NewReader("TEST", b)
			allocs := testing.AllocsPerRun(10, func() { read(wire.NewReader("TEST", b)) })
			read(r)
			if pe := parseErr(t, r.Err()); pe.Field != "s" {
				t.Errorf("length %#x: error names field %q", n, pe.Field)
			}
			if allocs > 2 { // the Reader itself, if it escapes
				t.Errorf("length %#x: %.0f allocations for a string not there", n, allocs)
			}
		}
	}
}

// TestWireReaderStringAliases: strings alias the input and cannot be
// appended to over the following bytes.
func TestWireReaderStringAliases(t *testing.T) {
	b := wire.AppendString(nil, []byte("abc"))
	b = append(b, 'X')
	r := wire.NewReader("TEST", b)
	s := r.String("s")
	if &s[0] != &b[4] {
		t.Error("String copied the input")
	}
	_ = append(s, 'Y')
	if b[7] != 'X' {
		t.Error("appending to a String overwrote the input after it")
	}
}

func TestWireReaderNameList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // nil with ok false: rejected
		ok   bool
	}{
		{"", nil, true},
		{"a", []string{"a"}, true},
		{"zlib,none", []string{"zlib", "none"}, true},
		{"curve25519-sha256,ext-info-c,kex-strict-c-v00@openssh.com",
			[]string{"curve25519-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"}, true},
		{" ", []string{" "}, true}, // not RFC 4251 names, but not empty
		{",", nil, false},
		{",a", nil, false},
		{"a,", nil, false},
		{"a,,b", nil, false},
		{",,,,", nil, false},
	} {
		r := wire.NewReader("TEST", wire.AppendText(nil, tc.in))
		got := r.NameList("list")
		if !tc.ok {
			if r.Err() == nil {
				t.Errorf("%q: accepted as %q; empty names must be rejected", tc.in, got)
			} else if pe := parseErr(t, r.Err()); pe.Field != "list" {
				t.Errorf("%q: error names %q", tc.in, pe.Field)
			}
			continue
		}
		if err := r.End(); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: NameList = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWireReaderBool(t *testing.T) {
	for v := 0; v < 256; v++ {
		r := wire.NewReader("TEST", []byte{byte(v)})
		if got := r.Bool("b"); got != (v != 0) || r.End() != nil {
			t.Errorf("Bool(%#x) = %v, %v", v, got, r.End())
		}
	}
}

// mpintExamples are RFC 4251 section 5's mpint examples: the value in
// hex (a leading '-' for negatives) and its encoding.
var mpintExamples = []struct{ value, enc string }{
	{"0", "00 00 00 00"},
	{"9a378f9b2e332a7", "00 00 00 08 09 a3 78 f9 b2 e3 32 a7"},
	{"80", "00 00 00 02 00 80"},
	{"-1234", "00 00 00 02 ed cc"},
	{"-deadbeef", "00 00 00 05 ff 21 52 41 11"},
}

func TestWireMPIntRFC4251(t *testing.T) {
	for _, ex := range mpintExamples {
		enc := mustHex(t, ex.enc)
		v, ok := new(big.Int).SetString(ex.value, 16)
		if !ok {
			t.Fatal(ex.value)
		}
		r := wire.NewReader("TEST", enc)
		got := r.MPInt("m")
		if v.Sign() < 0 {
			// Negative values are not used in SSH and are rejected.
			if got != nil || r.Err() == nil {
				t.Errorf("%s: negative mpint accepted as %v", ex.value, got)
			}
			continue
		}
		if err := r.End(); err != nil || got.Cmp(v) != 0 {
			t.Errorf("%s: MPInt = %v, %v", ex.value, got, err)
		}
		if b := wire.AppendMPInt(nil, v); !bytes.Equal(b, enc) {
			t.Errorf("AppendMPInt(%s) = % x, want % x", ex.value, b, enc)
		}
		if b := wire.AppendMPIntBytes(nil, v.Bytes()); !bytes.Equal(b, enc) {
			t.Errorf("AppendMPIntBytes(%s) = % x, want % x", ex.value, b, enc)
		}
	}
}

func TestWireMPIntRejectsNegative(t *testing.T) {
	for _, s := range []string{"00000001 80", "00000001 ff", "00000002 8000", "00000003 ffffff"} {
		r := wire.NewReader("TEST", mustHex(t, s))
		if got := r.MPInt("m"); got != nil || r.Err() == nil {
			t.Errorf("%s: accepted as %v", s, got)
		}
	}
	// Non-minimal but non-negative encodings decode to their value.
	r := wire.NewReader("TEST", mustHex(t, "00000003 000001"))
	if got := r.MPInt("m"); got == nil || got.Int64() != 1 || r.End() != nil {
		t.Errorf("00 00 01: MPInt = %v, %v", got, r.End())
	}
}

// TestWireAppendMPIntBytes: leading zeros are stripped and a zero byte is
// added before a set high bit, so the result is RFC 4251's encoding of
// the unsigned value.
func TestWireAppendMPIntBytes(t *testing.T) {
	for _, tc := range []struct{ mag, enc string }{
		{"", "00000000"},
		{"00", "00000000"},
		{"000000", "00000000"},
		{"01", "00000001 01"},
		{"0001", "00000001 01"},
		{"7f", "00000001 7f"},
		{"80", "00000002 0080"},
		{"0080", "00000002 0080"},
		{"000080", "00000002 0080"},
		{"ff", "00000002 00ff"},
		{"00ffff", "00000003 00ffff"},
		{"09a378f9b2e332a7", "00000008 09a378f9b2e332a7"},
		{"0009a378f9b2e332a7", "00000008 09a378f9b2e332a7"},
		{"dead", "00000003 00dead"},
	} {
		mag := mustHex(t, tc.mag)
		orig := bytes.Clone(mag)
		got := wire.AppendMPIntBytes([]byte("prefix"), mag)
		want := append([]byte("prefix"), mustHex(t, tc.enc)...)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendMPIntBytes(%s) = % x, want % x", tc.mag, got, want)
		}
		if !bytes.Equal(mag, orig) {
			t.Errorf("AppendMPIntBytes(%s) changed its input", tc.mag)
		}
		// It decodes back to the magnitude's value.
		r := wire.NewReader("TEST", got[len("prefix"):])
		if v := r.MPInt("m"); v == nil || v.Cmp(new(big.Int).SetBytes(mag)) != 0 || r.End() != nil {
			t.Errorf("%s: decodes to %v, %v", tc.mag, v, r.End())
		}
	}
}

func TestWireAppendEncodings(t *testing.T) {
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{wire.AppendUint32(nil, 0x01020304), "01020304"},
		{wire.AppendBool(nil, true), "01"},
		{wire.AppendBool(nil, false), "00"},
		{wire.AppendString(nil, nil), "00000000"},
		{wire.AppendString(nil, []byte{0xff}), "00000001 ff"},
		{wire.AppendText(nil, "testing"), "00000007 74657374696e67"}, // RFC 4251's example
		{wire.AppendNameList(nil, nil), "00000000"},                  // RFC 4251's examples
		{wire.AppendNameList(nil, []string{"zlib"}), "00000004 7a6c6962"},
		{wire.AppendNameList(nil, []string{"zlib", "none"}), "00000009 7a6c69622c6e6f6e65"},
		{wire.AppendServiceRequest(nil, "ssh-userauth"), "05 0000000c 7373682d7573657261757468"},
		{wire.AppendUnimplemented(nil, 7), "03 00000007"},
		{wire.AppendKexDHInit(nil, wire.MsgKexGexInit, big.NewInt(0x80)), "20 00000002 0080"},
		{wire.AppendKexECDHInit(nil, []byte{1, 2}), "1e 00000002 0102"},
		{wire.AppendGlobalRequest(nil, "a", true, []byte{9}), "50 00000001 61 01 09"},
		{(&wire.KexGexRequest{Min: 2048, N: 8192, Max: 8192}).Append(nil), "22 00000800 00002000 00002000"},
	} {
		if want := mustHex(t, tc.want); !bytes.Equal(tc.got, want) {
			t.Errorf("got % x, want % x", tc.got, want)
		}
	}
}

// testKexInit is a client KEXINIT of the usual shape.
func testKexInit() *wire.KexInit {
	m := &wire.KexInit{
		KexAlgos:                []string{"mlkem768x25519-sha256", "curve25519-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"},
		HostKeyAlgos:            []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"},
		CiphersClientServer:     []string{"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes128-ctr"},
		CiphersServerClient:     []string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"},
		MACsClientServer:        []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"},
		MACsServerClient:        []string{"hmac-sha2-512-etm@openssh.com"},
		CompressionClientServer: []string{"none", "zlib@openssh.com"},
		CompressionServerClient: []string{"none"},
	}
	for i := range m.Cookie {
		m.Cookie[i] = byte(i * 17)
	}
	return m
}

func kexInitEqual(a, b *wire.KexInit) bool {
	return a.Cookie == b.Cookie &&
		slices.Equal(a.KexAlgos, b.KexAlgos) &&
		slices.Equal(a.HostKeyAlgos, b.HostKeyAlgos) &&
		slices.Equal(a.CiphersClientServer, b.CiphersClientServer) &&
		slices.Equal(a.CiphersServerClient, b.CiphersServerClient) &&
		slices.Equal(a.MACsClientServer, b.MACsClientServer) &&
		slices.Equal(a.MACsServerClient, b.MACsServerClient) &&
		slices.Equal(a.CompressionClientServer, b.CompressionClientServer) &&
		slices.Equal(a.CompressionServerClient, b.CompressionServerClient) &&
		slices.Equal(a.LanguagesClientServer, b.LanguagesClientServer) &&
		slices.Equal(a.LanguagesServerClient, b.LanguagesServerClient) &&
		a.FirstKexFollows == b.FirstKexFollows &&
		a.Reserved == b.Reserved
}

func TestWireKexInitRoundTrip(t *testing.T) {
	full := testKexInit()
	full.LanguagesClientServer = []string{"en-US"}
	full.LanguagesServerClient = []string{"en-US", "de"}
	full.FirstKexFollows = true
	full.Reserved = 0xfffffffe
	for _, m := range []*wire.KexInit{testKexInit(), full, {}} {
		b := m.Append([]byte("prefix"))
		if !bytes.HasPrefix(b, []byte("prefix")) || b[len("prefix")] != wire.MsgKexInit {
			t.Fatalf("Append did not append KEXINIT: % x", b)
		}
		got, err := wire.ParseKexInit(b[len("prefix"):])
		if err != nil {
			t.Fatalf("ParseKexInit(Append(%+v)): %v", m, err)
		}
		if !kexInitEqual(got, m) {
			t.Errorf("round trip: got %+v, want %+v", got, m)
		}
	}
}

func TestWireKexInitRejects(t *testing.T) {
	good := testKexInit().Append(nil)
	if _, err := wire.ParseKexInit(good); err != nil {
		t.Fatal(err)
	}
	cookieEnd := 17
	for name, b := range map[string][]byte{
		"empty":              nil,
		"wrong number":       append([]byte{wire.MsgNewKeys}, good[1:]...),
		"short cookie":       good[:10],
		"no lists":           good[:cookieEnd],
		"missing reserved":   good[:len(good)-4],
		"truncated reserved": good[:len(good)-1],
		"trailing data":      append(bytes.Clone(good), 0),
		"empty name": (&wire.KexInit{
			KexAlgos: []string{"curve25519-sha256", ""}, HostKeyAlgos: []string{"ssh-ed25519"},
		}).Append(nil),
		"list beyond packet": append(append(bytes.Clone(good[:cookieEnd]), 0xff, 0xff, 0xff, 0xff), good[cookieEnd+4:]...),
	} {
		m, err := wire.ParseKexInit(b)
		if err == nil {
			t.Errorf("%s: accepted as %+v", name, m)
			continue
		}
		if pe := parseErr(t, err); pe.Msg != "KEXINIT" {
			t.Errorf("%s: error for message %q", name, pe.Msg)
		}
		if m != nil {
			t.Errorf("%s: returned a message with the error", name)
		}
	}
}

func TestWireDisconnectRoundTrip(t *testing.T) {
	for _, m := range []wire.Disconnect{
		{Reason: wire.DisconnectByApplication, Message: "disconnected by user", Language: "en"},
		{Reason: wire.DisconnectProtocolError, Message: "Corrupted MAC on input."},
		{Reason: 0xffffffff, Message: "\x00\xff"},
	} {
		b := m.Append(nil)
		if b[0] != wire.MsgDisconnect {
			t.Fatalf("message number %d", b[0])
		}
		got, err := wire.ParseDisconnect(b)
		if err != nil || *got != m {
			t.Errorf("round trip of %+v: %+v, %v", m, got, err)
		}
	}
	// Without the language tag, as some servers send it.
	b := wire.AppendText(wire.AppendUint32([]byte{wire.MsgDisconnect}, 2), "bye")
	if got, err := wire.ParseDisconnect(b); err != nil || got.Reason != 2 || got.Message != "bye" || got.Language != "" {
		t.Errorf("no language tag: %+v, %v", got, err)
	}
	for _, n := range []int{0, 1, 4, 5, 8} {
		if _, err := wire.ParseDisconnect(b[:n]); err == nil {
			t.Errorf("accepted %d bytes of %d", n, len(b))
		} else {
			parseErr(t, err)
		}
	}
}

func TestWireDebug(t *testing.T) {
	b := wire.AppendText(wire.AppendText([]byte{wire.MsgDebug, 1}, "hello"), "en")
	got, err := wire.ParseDebug(b)
	if err != nil || !got.AlwaysDisplay || got.Message != "hello" || got.Language != "en" {
		t.Errorf("ParseDebug = %+v, %v", got, err)
	}
	got, err = wire.ParseDebug(b[:len(b)-6])
	if err != nil || got.Message != "hello" || got.Language != "" {
		t.Errorf("without language: %+v, %v", got, err)
	}
	if _, err := wire.ParseDebug(b[:len(b)-1]); err == nil {
		t.Error("accepted a truncated language tag")
	}
}

func TestWireUnimplementedRoundTrip(t *testing.T) {
	for _, seq := range []uint32{0, 3, 0xffffffff} {
		b := wire.AppendUnimplemented(nil, seq)
		if got, err := wire.ParseUnimplemented(b); err != nil || got != seq {
			t.Errorf("round trip of %d: %d, %v", seq, got, err)
		}
		if _, err := wire.ParseUnimplemented(append(b, 0)); err == nil {
			t.Errorf("%d: trailing data accepted", seq)
		}
		if _, err := wire.ParseUnimplemented(b[:4]); err == nil {
			t.Errorf("%d: truncated message accepted", seq)
		}
	}
}

func TestWireServiceAccept(t *testing.T) {
	b := wire.AppendText([]byte{wire.MsgServiceAccept}, "ssh-userauth")
	if got, err := wire.ParseServiceAccept(b); err != nil || got != "ssh-userauth" {
		t.Errorf("ParseServiceAccept = %q, %v", got, err)
	}
	if _, err := wire.ParseServiceAccept(append(b, 'x')); err == nil {
		t.Error("trailing data accepted")
	}
	if _, err := wire.ParseServiceAccept(b[:len(b)-1]); err == nil {
		t.Error("truncated name accepted")
	}
}

func extsEqual(a, b []wire.Extension) bool {
	return slices.EqualFunc(a, b, func(x, y wire.Extension) bool {
		return x.Name == y.Name && bytes.Equal(x.Value, y.Value)
	})
}

func TestWireExtInfoRoundTrip(t *testing.T) {
	for _, exts := range [][]wire.Extension{
		nil,
		{{Name: "server-sig-algs", Value: []byte("ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256")}},
		{
			{Name: "server-sig-algs", Value: []byte("ssh-ed25519")},
			{Name: "publickey-hostbound@openssh.com", Value: []byte("0")},
			{Name: "ping@openssh.com", Value: []byte("0")},
			{Name: "", Value: nil},
			{Name: "binary", Value: []byte{0, 0xff, 0}},
		},
	} {
		b := wire.AppendExtInfo(nil, exts)
		if b[0] != wire.MsgExtInfo {
			t.Fatalf("message number %d", b[0])
		}
		got, err := wire.ParseExtInfo(b)
		if err != nil || !extsEqual(got, exts) {
			t.Errorf("round trip of %q: %q, %v", exts, got, err)
		}
		if len(got) > 0 {
			if v := got[len(got)-1].Value; len(v) > 0 && &v[len(v)-1] == &b[len(b)-1] {
				t.Error("extension values alias the packet")
			}
		}
		if _, err := wire.ParseExtInfo(append(b, 0)); err == nil {
			t.Errorf("%q: trailing data accepted", exts)
		}
	}
}

// TestWireExtInfoHugeCount: a tiny EXT_INFO that claims up to 2^32
// extensions fails at once, allocating nothing for them.
func TestWireExtInfoHugeCount(t *testing.T) {
	for _, n := range []uint32{2, 1024, 1025, 1 << 20, 0xffffffff} {
		b := wire.AppendUint32([]byte{wire.MsgExtInfo}, n)
		b = wire.AppendText(b, "server-sig-algs")
		b = wire.AppendText(b, "ssh-ed25519")
		var err error
		allocs := testing.AllocsPerRun(20, func() { _, err = wire.ParseExtInfo(b) })
		if err == nil {
			t.Errorf("%d extensions claimed, one sent: accepted", n)
			continue
		}
		parseErr(t, err)
		perRun := allocBytes(20, func() { _, _ = wire.ParseExtInfo(b) })
		if allocs > 4 || perRun > 256 {
			t.Errorf("%d extensions claimed in %d bytes: %.0f allocations, %d bytes", n, len(b), allocs, perRun)
		}
	}
}

func TestWireKexECDHRoundTrip(t *testing.T) {
	q := bytes.Repeat([]byte{0x42}, 32)
	b := wire.AppendKexECDHInit(nil, q)
	if got, err := wire.ParseKexECDHInit(b); err != nil || !bytes.Equal(got, q) {
		t.Errorf("KEX_ECDH_INIT round trip: %x, %v", got, err)
	}
	m := &wire.KexECDHReply{
		HostKey:   wire.AppendString(wire.AppendText(nil, "ssh-ed25519"), bytes.Repeat([]byte{1}, 32)),
		ServerPub: bytes.Repeat([]byte{2}, 32),
		Signature: wire.AppendString(wire.AppendText(nil, "ssh-ed25519"), bytes.Repeat([]byte{3}, 64)),
	}
	b = m.Append(nil)
	got, err := wire.ParseKexECDHReply(b)
	if err != nil || !bytes.Equal(got.HostKey, m.HostKey) || !bytes.Equal(got.ServerPub, m.ServerPub) || !bytes.Equal(got.Signature, m.Signature) {
		t.Errorf("KEX_ECDH_REPLY round trip: %+v, %v", got, err)
	}
	sig, err := wire.ParseSignature(got.Signature)
	if err != nil || sig.Format != "ssh-ed25519" || !bytes.Equal(sig.Blob, bytes.Repeat([]byte{3}, 64)) {
		t.Errorf("ParseSignature = %+v, %v", sig, err)
	}
	if _, err := wire.ParseSignature(append(bytes.Clone(got.Signature), 0)); err == nil {
		t.Error("signature with trailing data accepted")
	}
	b[0] = wire.MsgKexGexReply
	if _, err := wire.ParseKexECDHReply(b); err == nil {
		t.Error("KEX_ECDH_REPLY with the wrong message number accepted")
	}
}

func TestWireKexDHReplyRoundTrip(t *testing.T) {
	f, _ := new(big.Int).SetString("deadbeefdeadbeefdeadbeef", 16)
	for _, msg := range []byte{wire.MsgKexDHReply, wire.MsgKexGexReply} {
		for _, fv := range []*big.Int{f, big.NewInt(0), big.NewInt(0x7f)} {
			m := &wire.KexDHReply{HostKey: []byte("host key"), F: fv, Signature: []byte("sig")}
			b := m.Append(nil, msg)
			got, err := wire.ParseKexDHReply(b, msg)
			if err != nil || !bytes.Equal(got.HostKey, m.HostKey) || got.F.Cmp(fv) != 0 || !bytes.Equal(got.Signature, m.Signature) {
				t.Errorf("msg %d: round trip: %+v, %v", msg, got, err)
			}
			other := byte(wire.MsgKexDHReply + wire.MsgKexGexReply - msg)
			if _, err := wire.ParseKexDHReply(b, other); err == nil {
				t.Errorf("msg %d parsed as %d", msg, other)
			}
		}
	}
}

func TestWireKexGexGroupRoundTrip(t *testing.T) {
	// The Oakley group 2 prime (RFC 2409), as a server could send it.
	p, _ := new(big.Int).SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"+
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"+
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"+
		"FFFFFFFFFFFFFFFF", 16)
	g := big.NewInt(2)
	b := wire.AppendKexGexGroup(nil, p, g)
	gp, gg, err := wire.ParseKexGexGroup(b)
	if err != nil || gp.Cmp(p) != 0 || gg.Cmp(g) != 0 {
		t.Errorf("round trip: %v, %v, %v", gp, gg, err)
	}
	if _, _, err := wire.ParseKexGexGroup(b[:len(b)-1]); err == nil {
		t.Error("truncated group accepted")
	}
	b[0] = wire.MsgKexGexReply
	if _, _, err := wire.ParseKexGexGroup(b); err == nil {
		t.Error("wrong message number accepted")
	}
}

func TestWireGlobalRequestRoundTrip(t *testing.T) {
	data := wire.AppendString(nil, []byte("a host key blob"))
	for _, want := range []bool{true, false} {
		b := wire.AppendGlobalRequest(nil, "hostkeys-00@openssh.com", want, data)
		got, err := wire.ParseGlobalRequest(b)
		if err != nil || got.Name != "hostkeys-00@openssh.com" || got.WantReply != want || !bytes.Equal(got.Data, data) {
			t.Errorf("round trip: %+v, %v", got, err)
		}
	}
	b := wire.AppendGlobalRequest(nil, "keepalive@openssh.com", true, nil)
	if got, err := wire.ParseGlobalRequest(b); err != nil || len(got.Data) != 0 {
		t.Errorf("no data: %+v, %v", got, err)
	}
	if _, err := wire.ParseGlobalRequest(b[:len(b)-1]); err == nil {
		t.Error("missing want-reply accepted")
	}
}

func TestWireIsKex(t *testing.T) {
	for m := 0; m < 256; m++ {
		want := m == 20 || m == 21 || (m >= 30 && m <= 49)
		if got := wire.IsKex(byte(m)); got != want {
			t.Errorf("IsKex(%d) = %v", m, got)
		}
	}
}
