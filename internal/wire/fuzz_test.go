package wire_test

import (
	"bytes"
	"errors"
	"math/big"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// The fuzz targets of the decoders of network input. Each has a seed
// corpus in testdata/fuzz/<target>: messages captured from OpenSSH 9.2 and
// Dropbear 2022.83, the server messages of the key exchange known-answer
// vectors (asyncssh, paramiko), and hostile variants. Run one with
//
//	go test ./internal/wire -run '^$' -fuzz '^FuzzKexInit$' -parallel 1
//
// Every decoder must return a *wire.ParseError for bad input, never
// panic, and what it accepts must encode back to the same message.

// checkParseError fails unless err is a *wire.ParseError that names its
// message.
func checkParseError(t *testing.T, decoder string, err error) {
	t.Helper()
	var pe *wire.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: error %v (%T) is not a *wire.ParseError", decoder, err, err)
	}
	if pe.Msg == "" || pe.Error() == "" {
		t.Fatalf("%s: error %+v names no message", decoder, pe)
	}
}

// messageSeeds returns one message of each kind the decoders take, built
// with the encoders.
func messageSeeds() [][]byte {
	hostKey := wire.AppendString(wire.AppendText(nil, "ssh-ed25519"), bytes.Repeat([]byte{0x11}, 32))
	sig := wire.AppendString(wire.AppendText(nil, "ssh-ed25519"), bytes.Repeat([]byte{0x22}, 64))
	p, _ := new(big.Int).SetString("ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff", 16)
	return [][]byte{
		testKexInit().Append(nil),
		(&wire.Disconnect{Reason: wire.DisconnectByApplication, Message: "disconnected by user", Language: "en"}).Append(nil),
		wire.AppendText(wire.AppendText([]byte{wire.MsgDebug, 0}, "debug message"), ""),
		wire.AppendUnimplemented(nil, 3),
		wire.AppendText([]byte{wire.MsgServiceAccept}, "ssh-userauth"),
		wire.AppendExtInfo(nil, []wire.Extension{
			{Name: "server-sig-algs", Value: []byte("ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256")},
			{Name: "publickey-hostbound@openssh.com", Value: []byte("0")},
		}),
		wire.AppendGlobalRequest(nil, "hostkeys-00@openssh.com", false, wire.AppendString(nil, hostKey)),
		wire.AppendKexECDHInit(nil, bytes.Repeat([]byte{0x33}, 32)),
		(&wire.KexECDHReply{HostKey: hostKey, ServerPub: bytes.Repeat([]byte{0x44}, 32), Signature: sig}).Append(nil),
		(&wire.KexDHReply{HostKey: hostKey, F: new(big.Int).Rsh(p, 3), Signature: sig}).Append(nil, wire.MsgKexDHReply),
		(&wire.KexDHReply{HostKey: hostKey, F: big.NewInt(0x80), Signature: sig}).Append(nil, wire.MsgKexGexReply),
		wire.AppendKexGexGroup(nil, p, big.NewInt(2)),
		sig,
	}
}

// FuzzMessage gives every input to every message decoder. Those that
// check the message number must reject the others' messages; whatever a
// decoder accepts must encode back to the same message (byte for byte
// where the encoding is canonical).
func FuzzMessage(f *testing.F) {
	for _, p := range messageSeeds() {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		checkKexInit(t, p)
		checkExtInfo(t, p)

		if m, err := wire.ParseDisconnect(p); err != nil {
			checkParseError(t, "ParseDisconnect", err)
		} else if got, err := wire.ParseDisconnect(m.Append(nil)); err != nil || *got != *m {
			t.Fatalf("DISCONNECT %+v re-parses as %+v, %v", m, got, err)
		}

		if m, err := wire.ParseDebug(p); err != nil {
			checkParseError(t, "ParseDebug", err)
		} else {
			b := wire.AppendText(wire.AppendText(wire.AppendBool([]byte{wire.MsgDebug}, m.AlwaysDisplay), m.Message), m.Language)
			if got, err := wire.ParseDebug(b); err != nil || *got != *m {
				t.Fatalf("DEBUG %+v re-parses as %+v, %v", m, got, err)
			}
		}

		if seq, err := wire.ParseUnimplemented(p); err != nil {
			checkParseError(t, "ParseUnimplemented", err)
		} else if b := wire.AppendUnimplemented(nil, seq); !bytes.Equal(b[1:], p[1:]) {
			t.Fatalf("UNIMPLEMENTED % x parsed as %d", p, seq)
		}

		if s, err := wire.ParseServiceAccept(p); err != nil {
			checkParseError(t, "ParseServiceAccept", err)
		} else if b := wire.AppendText(nil, s); !bytes.Equal(b, p[1:]) {
			t.Fatalf("SERVICE_ACCEPT % x parsed as %q", p, s)
		}

		if m, err := wire.ParseGlobalRequest(p); err != nil {
			checkParseError(t, "ParseGlobalRequest", err)
		} else {
			if len(p) != 1+4+len(m.Name)+1+len(m.Data) || !bytes.HasSuffix(p, m.Data) {
				t.Fatalf("GLOBAL_REQUEST % x parsed as %+v", p, m)
			}
			b := wire.AppendGlobalRequest(nil, m.Name, m.WantReply, m.Data)
			if got, err := wire.ParseGlobalRequest(b); err != nil || got.Name != m.Name || got.WantReply != m.WantReply || !bytes.Equal(got.Data, m.Data) {
				t.Fatalf("GLOBAL_REQUEST %+v re-parses as %+v, %v", m, got, err)
			}
		}

		if q, err := wire.ParseKexECDHInit(p); err != nil {
			checkParseError(t, "ParseKexECDHInit", err)
		} else if b := wire.AppendKexECDHInit(nil, q); !bytes.Equal(b[1:], p[1:]) {
			t.Fatalf("KEX_ECDH_INIT % x parsed as %x", p, q)
		}

		if m, err := wire.ParseKexECDHReply(p); err != nil {
			checkParseError(t, "ParseKexECDHReply", err)
		} else if b := m.Append(nil); !bytes.Equal(b, p) {
			t.Fatalf("KEX_ECDH_REPLY % x parsed as %+v", p, m)
		}

		for _, msg := range []byte{wire.MsgKexDHReply, wire.MsgKexGexReply} {
			m, err := wire.ParseKexDHReply(p, msg)
			if err != nil {
				checkParseError(t, "ParseKexDHReply", err)
				continue
			}
			if p[0] != msg || m.F == nil || m.F.Sign() < 0 {
				t.Fatalf("KEXDH_REPLY %d: % x parsed as %+v", msg, p, m)
			}
			b := m.Append(nil, msg)
			got, err := wire.ParseKexDHReply(b, msg)
			if err != nil || len(b) > len(p) || !bytes.Equal(got.HostKey, m.HostKey) || got.F.Cmp(m.F) != 0 || !bytes.Equal(got.Signature, m.Signature) {
				t.Fatalf("KEXDH_REPLY %+v re-parses as %+v, %v", m, got, err)
			}
		}

		if gp, gg, err := wire.ParseKexGexGroup(p); err != nil {
			checkParseError(t, "ParseKexGexGroup", err)
		} else {
			if p[0] != wire.MsgKexGexGroup || gp.Sign() < 0 || gg.Sign() < 0 {
				t.Fatalf("KEX_DH_GEX_GROUP % x parsed as %v, %v", p, gp, gg)
			}
			b := wire.AppendKexGexGroup(nil, gp, gg)
			if p2, g2, err := wire.ParseKexGexGroup(b); err != nil || p2.Cmp(gp) != 0 || g2.Cmp(gg) != 0 || len(b) > len(p) {
				t.Fatalf("KEX_DH_GEX_GROUP %v, %v re-parses as %v, %v, %v", gp, gg, p2, g2, err)
			}
		}

		if s, err := wire.ParseSignature(p); err != nil {
			checkParseError(t, "ParseSignature", err)
		} else if b := wire.AppendString(wire.AppendText(nil, s.Format), s.Blob); !bytes.Equal(b, p) {
			t.Fatalf("signature % x parsed as %+v", p, s)
		}
	})
}

// FuzzKexInit: ParseKexInit accepts only well-formed KEXINITs, and what it
// accepts encodes back to the same bytes (first_kex_packet_follows aside,
// where any non-zero byte is true) and re-parses to an equal value.
func FuzzKexInit(f *testing.F) {
	f.Add(testKexInit().Append(nil))
	f.Add((&wire.KexInit{FirstKexFollows: true, Reserved: 1}).Append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		checkKexInit(t, p)
	})
}

func checkKexInit(t *testing.T, p []byte) {
	t.Helper()
	m, err := wire.ParseKexInit(p)
	if err != nil {
		checkParseError(t, "ParseKexInit", err)
		if m != nil {
			t.Fatal("ParseKexInit returned a message with its error")
		}
		return
	}
	if p[0] != wire.MsgKexInit {
		t.Fatalf("KEXINIT with message number %d accepted", p[0])
	}
	for _, l := range [][]string{m.KexAlgos, m.HostKeyAlgos,
		m.CiphersClientServer, m.CiphersServerClient, m.MACsClientServer, m.MACsServerClient,
		m.CompressionClientServer, m.CompressionServerClient,
		m.LanguagesClientServer, m.LanguagesServerClient} {
		for _, name := range l {
			if name == "" || strings.Contains(name, ",") {
				t.Fatalf("KEXINIT % x gave the name %q", p, name)
			}
		}
	}
	b := m.Append(nil)
	got, err := wire.ParseKexInit(b)
	if err != nil {
		t.Fatalf("re-encoded KEXINIT %+v does not parse: %v", m, err)
	}
	if !kexInitEqual(got, m) {
		t.Fatalf("KEXINIT %+v re-parses as %+v", m, got)
	}
	// Byte for byte, but for the boolean, 5 bytes from the end.
	follows := len(p) - 5
	if len(b) != len(p) || !bytes.Equal(b[:follows], p[:follows]) || !bytes.Equal(b[follows+1:], p[follows+1:]) || (b[follows] != 0) != (p[follows] != 0) {
		t.Fatalf("KEXINIT % x re-encodes as % x", p, b)
	}
}

// FuzzExtInfo: ParseExtInfo never allocates more than a small multiple of
// its input, however many extensions the count field claims, and what it
// accepts encodes back to the same bytes.
func FuzzExtInfo(f *testing.F) {
	f.Add(wire.AppendExtInfo(nil, []wire.Extension{
		{Name: "server-sig-algs", Value: []byte("ssh-ed25519,sk-ssh-ed25519@openssh.com,ssh-rsa,rsa-sha2-256,rsa-sha2-512")},
		{Name: "publickey-hostbound@openssh.com", Value: []byte("0")},
		{Name: "ping@openssh.com", Value: []byte("0")},
	}))
	f.Add(wire.AppendUint32([]byte{wire.MsgExtInfo}, 0xffffffff))
	f.Fuzz(func(t *testing.T, p []byte) {
		checkExtInfo(t, p)
		// Allocation is measured apart from the checks, which allocate
		// too. Measurements can catch a stray allocation of the runtime:
		// the least of three counts.
		limit := uint64(16*len(p) + 4096)
		used := ^uint64(0)
		for range 3 {
			used = min(used, heapAllocated(func() { _, _ = wire.ParseExtInfo(p) }))
			if used <= limit {
				break
			}
		}
		if used > limit {
			t.Fatalf("ParseExtInfo of %d bytes allocated %d bytes", len(p), used)
		}
	})
}

func checkExtInfo(t *testing.T, p []byte) {
	t.Helper()
	exts, err := wire.ParseExtInfo(p)
	if err != nil {
		checkParseError(t, "ParseExtInfo", err)
		if exts != nil {
			t.Fatal("ParseExtInfo returned extensions with its error")
		}
		return
	}
	// Each extension takes at least 8 bytes.
	if 5+8*len(exts) > len(p) || cap(exts) > len(p)/8 {
		t.Fatalf("%d bytes gave %d extensions (capacity %d)", len(p), len(exts), cap(exts))
	}
	if b := wire.AppendExtInfo(nil, exts); !bytes.Equal(b[1:], p[1:]) {
		t.Fatalf("EXT_INFO % x re-encodes as % x", p, b)
	}
}

// heapAllocated returns the bytes f allocated on the heap.
func heapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Reader operations for FuzzReader: an op byte selects op%readerOps, and
// for readBytes op/readerOps-1 is the count (-1 to 27).
const (
	readByte = iota
	readBool
	readUint32
	readBytes
	readString
	readText
	readNameList
	readMPInt
	readRest
	readerOps
)

// FuzzReader drives the Reader with a script of reads (ops) over data,
// checking each read against a reference decoding of the bytes left:
// what it returns and consumes, that a failure is reported where it
// happens, and that it sticks.
func FuzzReader(f *testing.F) {
	// A KEXINIT's shape: number, cookie, ten name-lists, bool, uint32.
	kexinit := []byte{readByte, readerOps*17 + readBytes}
	for range 10 {
		kexinit = append(kexinit, readNameList)
	}
	kexinit = append(kexinit, readBool, readUint32)
	f.Add(kexinit, testKexInit().Append(nil))
	f.Add([]byte{readByte, readString, readMPInt, readString, readRest}, messageSeeds()[9])
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		r := wire.NewReader("FUZZ", data)
		off := 0     // bytes consumed
		failed := "" // the field of the first failure
		for i, op := range ops {
			field := strconv.Itoa(i)
			left := data[off:]
			if r.Len() != len(left) {
				t.Fatalf("op %d: Len %d, want %d", i, r.Len(), len(left))
			}
			// want is the result a correct reader gives, took the bytes
			// it consumes, ok whether it succeeds.
			var want any
			took, ok := 0, true
			str := func() ([]byte, bool) {
				if len(left) < 4 {
					return nil, false
				}
				n := uint64(left[0])<<24 | uint64(left[1])<<16 | uint64(left[2])<<8 | uint64(left[3])
				if n > uint64(len(left)-4) {
					return nil, false
				}
				took = 4 + int(n)
				return left[4:took], true
			}
			var got any
			switch op % readerOps {
			case readByte, readBool:
				ok = len(left) >= 1
				if ok {
					took = 1
					want = left[0]
				}
				if op%readerOps == readBool {
					want = ok && left[0] != 0
					got = r.Bool(field)
				} else {
					if !ok {
						want = byte(0)
					}
					got = r.Byte(field)
				}
			case readUint32:
				ok = len(left) >= 4
				want = uint32(0)
				if ok {
					took = 4
					want = uint32(left[0])<<24 | uint32(left[1])<<16 | uint32(left[2])<<8 | uint32(left[3])
				}
				got = r.Uint32(field)
			case readBytes:
				n := int(op/readerOps) - 1
				ok = n >= 0 && n <= len(left)
				var w []byte
				if ok {
					took = n
					w = left[:n]
				}
				b := r.Bytes(field, n)
				if ok && n > 0 && &b[0] != &left[0] {
					t.Fatalf("op %d: Bytes copied", i)
				}
				want, got = string(w), string(b)
			case readString, readText:
				w, sok := str()
				ok = sok
				if op%readerOps == readText {
					want, got = string(w), r.Text(field)
				} else {
					b := r.String(field)
					if ok && len(b) > 0 && &b[0] != &left[4] {
						t.Fatalf("op %d: String copied", i)
					}
					want, got = string(w), string(b)
				}
			case readNameList:
				w, sok := str()
				var names []string
				if sok && len(w) > 0 {
					names = strings.Split(string(w), ",")
					sok = !slices.Contains(names, "")
				}
				ok = sok
				if !ok {
					names = nil
				}
				want, got = strings.Join(names, ","), strings.Join(r.NameList(field), ",")
			case readMPInt:
				w, sok := str()
				ok = sok && (len(w) == 0 || w[0]&0x80 == 0)
				v := r.MPInt(field)
				if ok != (v != nil) {
					t.Fatalf("op %d: MPInt %v, want success %v", i, v, ok)
				}
				if ok {
					want, got = new(big.Int).SetBytes(w).String(), v.String()
				}
			case readRest:
				took = len(left)
				want, got = string(left), string(r.Rest())
			}
			if failed != "" {
				// After a failure: zero values, nothing consumed, the
				// first failure kept.
				ok, took = false, 0
				switch op % readerOps {
				case readByte:
					want = byte(0)
				case readBool:
					want = false
				case readUint32:
					want = uint32(0)
				case readBytes, readString, readText, readNameList, readRest:
					want = ""
				}
			}
			if ok && failed == "" && r.Err() != nil {
				t.Fatalf("op %d (%d) failed on % x: %v", i, op%readerOps, left, r.Err())
			}
			if !ok && r.Err() == nil {
				t.Fatalf("op %d (%d) succeeded on % x", i, op%readerOps, left)
			}
			if got != want {
				t.Fatalf("op %d (%d) on % x: got %v, want %v", i, op%readerOps, left, got, want)
			}
			if !ok {
				if failed == "" {
					failed = field
				}
				var pe *wire.ParseError
				if !errors.As(r.Err(), &pe) || pe.Msg != "FUZZ" || pe.Field != failed {
					t.Fatalf("op %d: error %v, want the failure of field %s", i, r.Err(), failed)
				}
				off = len(data)
				continue
			}
			off += took
		}
		err := r.End()
		switch {
		case failed != "":
			var pe *wire.ParseError
			if !errors.As(err, &pe) || pe.Field != failed {
				t.Fatalf("End = %v, want the failure of field %s", err, failed)
			}
		case off < len(data):
			var pe *wire.ParseError
			if !errors.As(err, &pe) || pe.Field != "" {
				t.Fatalf("End with %d bytes left = %v", len(data)-off, err)
			}
		case err != nil:
			t.Fatalf("End with nothing left = %v", err)
		}
	})
}
