package transport

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"testing"

	"github.com/amiko-ssh/amiko/internal/aesgcm"
	"github.com/amiko-ssh/amiko/internal/chacha"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 the reference construction needs raw Poly1305
)

// cipherPair returns a sealing and an opening instance of the same cipher
// and MAC with the same keys.
func cipherPair(t testing.TB, cipherName, macName string) (sealer, opener packetCipher) {
	t.Helper()
	mode := cipherModes[cipherName]
	key := make([]byte, mode.keySize)
	iv := make([]byte, mode.ivSize)
	rand.Read(key)
	rand.Read(iv)
	var mac *macMode
	var macKey []byte
	if !mode.aead {
		mac = macModes[macName]
		macKey = make([]byte, mac.keySize)
		rand.Read(macKey)
	}
	s, err := mode.new(key, iv, mac, macKey)
	if err != nil {
		t.Fatal(err)
	}
	o, err := mode.new(key, iv, mac, macKey)
	if err != nil {
		t.Fatal(err)
	}
	return s, o
}

// cipherCombos lists every cipher with every MAC (AEAD ciphers once).
func cipherCombos() [][2]string {
	var names []string
	for n := range cipherModes {
		names = append(names, n)
	}
	sort.Strings(names)
	var macs []string
	for n := range macModes {
		macs = append(macs, n)
	}
	sort.Strings(macs)
	var out [][2]string
	for _, c := range names {
		if cipherModes[c].aead {
			out = append(out, [2]string{c, ""})
			continue
		}
		for _, m := range macs {
			out = append(out, [2]string{c, m})
		}
	}
	return out
}

func TestCipherRoundTrip(t *testing.T) {
	for _, combo := range cipherCombos() {
		t.Run(combo[0]+"/"+combo[1], func(t *testing.T) {
			s, o := cipherPair(t, combo[0], combo[1])
			roundTrip(t, s, o, 1, 2, 15, 16, 17, 31, 32, 33, 255, 1000, 32768, maxPayloadOut)
		})
	}
}

// roundTrip seals random payloads of the sizes given with s and checks
// that o opens each.
func roundTrip(t *testing.T, s, o packetCipher, sizes ...int) {
	t.Helper()
	pad := newPadding([32]byte{1})
	var stream []byte
	var payloads [][]byte
	for i, n := range sizes {
		p := make([]byte, n)
		rand.Read(p)
		payloads = append(payloads, p)
		stream = s.seal(uint32(i), stream, p, pad)
	}
	r := newPacketReader(bytes.NewReader(stream))
	for i, want := range payloads {
		got, err := o.open(uint32(i), r)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("packet %d differs", i)
		}
	}
}

// TestCipherRejectsTampering flips every byte of a sealed packet in turn:
// each must fail to open, with a typed error, never a panic.
func TestCipherRejectsTampering(t *testing.T) {
	pad := newPadding([32]byte{2})
	for _, combo := range cipherCombos() {
		t.Run(combo[0]+"/"+combo[1], func(t *testing.T) {
			payload := []byte("a message of some length, long enough for three blocks")
			// The opener's state advances with each packet, so every
			// tampered copy gets a fresh pair with the same keys: seal the
			// packet once per opener.
			for i := 0; ; i++ {
				s, o := cipherPair(t, combo[0], combo[1])
				pkt := s.seal(7, nil, payload, pad)
				if i >= len(pkt) {
					break
				}
				pkt[i] ^= 0x40
				_, err := o.open(7, newPacketReader(bytes.NewReader(pkt)))
				var pe *ProtocolError
				if err == nil || (!errors.As(err, &pe) && !errors.Is(err, io.ErrUnexpectedEOF)) {
					t.Fatalf("byte %d flipped: got %v", i, err)
				}
			}
		})
	}
}

// TestCipherRejectsReordering: a packet opened out of its place fails
// (the sequence number, or GCM's invocation counter, no longer matches).
func TestCipherRejectsReordering(t *testing.T) {
	pad := newPadding([32]byte{3})
	for _, combo := range cipherCombos() {
		s, o := cipherPair(t, combo[0], combo[1])
		s.seal(0, nil, []byte("first"), pad)
		second := s.seal(1, nil, []byte("second"), pad)
		if _, err := o.open(0, newPacketReader(bytes.NewReader(second))); err == nil {
			t.Errorf("%s/%s: opened the second packet in the place of the first", combo[0], combo[1])
		}
	}
}

// referenceChaChaSeal is OpenSSH's chacha20-poly1305@openssh.com written
// straight from PROTOCOL.chacha20poly1305 with the generic chacha20
// package: the independent check of chachaCipher's use of the AEAD's
// keystream.
func referenceChaChaSeal(key []byte, seq uint32, plain []byte) []byte {
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[4:], uint64(seq))
	out := slices.Clone(plain)
	k1, _ := chacha20.NewUnauthenticatedCipher(key[32:], nonce[:])
	k1.XORKeyStream(out[:4], out[:4])
	k2, _ := chacha20.NewUnauthenticatedCipher(key[:32], nonce[:])
	var polyKey [32]byte
	k2.XORKeyStream(polyKey[:], polyKey[:])
	k2.SetCounter(1)
	k2.XORKeyStream(out[4:], out[4:])
	var tag [16]byte
	poly1305.Sum(&tag, out, &polyKey)
	return append(out, tag[:]...)
}

// TestGCMRoutesAgree: packets sealed with internal/aesgcm's assembly open
// with crypto/cipher's GCM and the other way round, for both key sizes.
func TestGCMRoutesAgree(t *testing.T) {
	if !aesgcm.Accelerated {
		t.Skip("no AVX-512 VAES here: only crypto/cipher's GCM is used")
	}
	for _, name := range []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"} {
		for _, sealAsm := range []bool{true, false} {
			mode := cipherModes[name]
			key, iv := make([]byte, mode.keySize), make([]byte, mode.ivSize)
			rand.Read(key)
			rand.Read(iv)
			s, err := newAESGCM(key, iv, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			aesgcm.Accelerated = false
			o, err := newAESGCM(key, iv, nil, nil)
			aesgcm.Accelerated = true
			if err != nil {
				t.Fatal(err)
			}
			if !sealAsm {
				s, o = o, s
			}
			t.Run(fmt.Sprintf("%s/sealed-with-assembly-%v", name, sealAsm), func(t *testing.T) {
				roundTrip(t, s, o, 1, 200, 255, 256, 4000, 32768, maxPayloadOut)
			})
		}
	}
}

// chachaRoutes runs f with internal/chacha's assembly (where this machine
// has AVX-512) and with the routes taken elsewhere: the keystream through
// x/crypto's AEAD (where it has assembly) or x/crypto's standalone
// chacha20, and x/crypto's Poly1305.
func chachaRoutes(t *testing.T, f func(t *testing.T)) {
	saved, savedPoly, savedAEAD := chacha.Accelerated, chacha.PolyAccelerated, aeadAssembly
	defer func() { chacha.Accelerated, chacha.PolyAccelerated, aeadAssembly = saved, savedPoly, savedAEAD }()
	if saved || savedPoly {
		t.Run("asm", f)
	} else {
		t.Log("no AVX-512 here: the assembly route is not tested")
	}
	chacha.Accelerated, chacha.PolyAccelerated = false, false
	if savedAEAD {
		t.Run("aead", f)
	}
	aeadAssembly = false
	t.Run("stream", f)
}

func TestChaChaMatchesReference(t *testing.T) {
	chachaRoutes(t, func(t *testing.T) {
		key := make([]byte, 64)
		rand.Read(key)
		c, err := newChaCha20Poly1305(key, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 7, 64, 100, 1000, 1017, 4096, 70000, maxPayloadOut} {
			for _, seq := range []uint32{0, 1, 0xffffffff} {
				payload := make([]byte, n)
				rand.Read(payload)
				// Same padding bytes for both: seal with a fixed seed, then
				// recover the plaintext packet by the reference's own means.
				pkt := c.seal(seq, nil, payload, newPadding([32]byte{9}))
				plain := appendPacket(nil, payload, 8, 4, newPadding([32]byte{9}))
				want := referenceChaChaSeal(key, seq, plain)
				if !bytes.Equal(pkt, want) {
					t.Fatalf("n=%d seq=%d: sealed packet differs from the reference", n, seq)
				}
				got, err := c.open(seq, newPacketReader(bytes.NewReader(want)))
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("n=%d seq=%d: opening the reference's packet: %v", n, seq, err)
				}
			}
		}
		if !raceEnabled {
			if allocs := packetAllocs(t, "chacha20-poly1305@openssh.com", "", 32768); allocs != 0 {
				t.Errorf("%.1f allocations per packet", allocs)
			}
		}
	})
}

// TestPacketPathAllocatesNothing: in steady state sealing and opening a
// packet allocates nothing, for every cipher.
func TestPacketPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, combo := range cipherCombos() {
		allocs := packetAllocs(t, combo[0], combo[1], 32768)
		if allocs != 0 {
			t.Errorf("%s/%s: %.1f allocations per packet", combo[0], combo[1], allocs)
		}
	}
}

func packetAllocs(t testing.TB, cipherName, macName string, size int) float64 {
	s, o := cipherPair(t, cipherName, macName)
	pad := newPadding([32]byte{})
	payload := make([]byte, size)
	var buf []byte
	br := bytes.NewReader(nil)
	r := newPacketReader(br)
	seq := uint32(0)
	step := func() {
		buf = s.seal(seq, buf[:0], payload, pad)
		br.Reset(buf)
		if _, err := o.open(seq, r); err != nil {
			panic(err)
		}
		seq++
	}
	step() // buffers grow on first use
	return testing.AllocsPerRun(100, step)
}

func BenchmarkPacket(b *testing.B) {
	for _, combo := range [][2]string{
		{"aes128-gcm@openssh.com", ""},
		{"chacha20-poly1305@openssh.com", ""},
		{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
	} {
		for _, dir := range []string{"seal", "open"} {
			b.Run(fmt.Sprintf("%s/%s", combo[0], dir), func(b *testing.B) {
				s, o := cipherPair(b, combo[0], combo[1])
				pad := newPadding([32]byte{})
				payload := make([]byte, 32768)
				b.SetBytes(int64(len(payload)))
				b.ReportAllocs()
				var buf []byte
				if dir == "seal" {
					for i := 0; b.Loop(); i++ {
						buf = s.seal(uint32(i), buf[:0], payload, pad)
					}
					return
				}
				// Open needs a fresh packet per sequence number; seal a batch
				// outside the timer.
				br := bytes.NewReader(nil)
				r := newPacketReader(br)
				seq := uint32(0)
				for b.Loop() {
					b.StopTimer()
					buf = s.seal(seq, buf[:0], payload, pad)
					br.Reset(buf)
					b.StartTimer()
					if _, err := o.open(seq, r); err != nil {
						b.Fatal(err)
					}
					seq++
				}
			})
		}
	}
}

// TestRuntimePaddingIsRandom: the padding every connection uses is
// filled, and differs from packet to packet.
func TestRuntimePaddingIsRandom(t *testing.T) {
	for _, n := range []int{4, 8, 13, 19} {
		a, b := make([]byte, n), make([]byte, n)
		runtimePadding.fill(a)
		runtimePadding.fill(b)
		if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, n)) {
			t.Fatalf("%d bytes of padding: %x then %x", n, a, b)
		}
	}
}
