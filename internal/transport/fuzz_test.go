package transport

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// The fuzz targets of the packet layer's decoders: FuzzOpenPacket (the
// binary packet protocol under each kind of cipher) and FuzzReadVersion
// (the lines before the first packet). Their seed corpora are in
// testdata/fuzz/<target>. Run one with
//
//	go test ./internal/transport -run '^$' -fuzz '^FuzzOpenPacket$' -parallel 1

// fuzzCiphers are the ciphers FuzzOpenPacket opens with: one of each
// construction (none, the two AEADs, CTR with MAC-then-encrypt and with
// encrypt-then-MAC, CBC).
var fuzzCiphers = []struct{ cipher, mac string }{
	{"none", ""},
	{"aes128-gcm@openssh.com", ""},
	{"chacha20-poly1305@openssh.com", ""},
	{"aes128-ctr", "hmac-sha2-256"},
	{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
	{"aes128-cbc", "hmac-sha1"},
}

// fuzzKey returns n fixed key bytes.
func fuzzKey(n int, seed byte) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = seed + byte(i)*7
	}
	return k
}

// fuzzCipher returns a new instance of the cipher with the fixed keys
// FuzzOpenPacket uses, so that a sealer and an opener made by it agree.
func fuzzCipher(tb testing.TB, cipherName, macName string) packetCipher {
	tb.Helper()
	if cipherName == "none" {
		return noneCipher{}
	}
	mode := cipherModes[cipherName]
	var mac *macMode
	var macKey []byte
	if !mode.aead {
		mac = macModes[macName]
		macKey = fuzzKey(mac.keySize, 0x80)
	}
	c, err := mode.new(fuzzKey(mode.keySize, 0x10), fuzzKey(mode.ivSize, 0x40), mac, macKey)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// fuzzMaxReadBuffer is the most a packetReader may hold: a largest packet
// with the largest MAC, or the bulk size.
const fuzzMaxReadBuffer = max(bulkReadBuffer, 4+maxPacket+64)

// chunkReader returns its bytes at most n at a time (all at once if n is
// 0), and with eofWithData the last bytes come with io.EOF, as io.Reader
// allows: the ways a network connection hands over data.
type chunkReader struct {
	b           []byte
	n           int
	eofWithData bool
}

// fuzzReader returns a reader over data shaped by mode: its low 7 bits
// are the chunk size (0: no limit), its top bit asks for io.EOF with the
// last bytes. Mode 0 is a plain bytes.Reader.
func fuzzReader(data []byte, mode uint8) io.Reader {
	if mode == 0 {
		return bytes.NewReader(data)
	}
	return &chunkReader{b: data, n: int(mode & 0x7f), eofWithData: mode&0x80 != 0}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if r.n > 0 && len(p) > r.n {
		p = p[:r.n]
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	if len(r.b) == 0 && r.eofWithData {
		return n, io.EOF
	}
	return n, nil
}

// fuzzSealedStreams returns, for each of fuzzCiphers, a stream of packets
// sealed with the fixed keys (sequence numbers from 0): valid input for
// the fuzzer to mutate.
func fuzzSealedStreams(tb testing.TB) [][]byte {
	kexinit := (&wire.KexInit{
		KexAlgos:                []string{"curve25519-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"},
		HostKeyAlgos:            []string{"ssh-ed25519", "rsa-sha2-256"},
		CiphersClientServer:     []string{"aes128-ctr"},
		CiphersServerClient:     []string{"aes128-ctr"},
		MACsClientServer:        []string{"hmac-sha2-256"},
		MACsServerClient:        []string{"hmac-sha2-256"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}).Append(nil)
	// CHANNEL_DATA larger than the initial read buffer.
	data := wire.AppendString(binary.BigEndian.AppendUint32([]byte{wire.MsgChannelData}, 0), bytes.Repeat([]byte("data"), 1250))
	payloads := [][]byte{
		kexinit,
		{wire.MsgIgnore},
		wire.AppendServiceRequest(nil, "ssh-userauth"),
		data,
		{wire.MsgNewKeys},
	}
	var streams [][]byte
	for _, c := range fuzzCiphers {
		s := fuzzCipher(tb, c.cipher, c.mac)
		pad := newPadding([32]byte{7})
		var stream []byte
		for seq, p := range payloads {
			stream = s.seal(uint32(seq), stream, p, pad)
		}
		streams = append(streams, stream)
		// A single small packet, easier to mutate.
		streams = append(streams, fuzzCipher(tb, c.cipher, c.mac).seal(0, nil, []byte{2, 0, 0, 0, 0}, pad))
	}
	return streams
}

// FuzzOpenPacket gives its input, as the bytes a server sent, to each of
// fuzzCiphers in turn and opens packets until an error: there must be no
// panic, the error must be a *ProtocolError or the reader's io.EOF or
// io.ErrUnexpectedEOF (and those only where the input really ends), and
// the read buffer must stay within the packet size limit. Then the input,
// as a payload, must seal and open back to itself with each cipher.
func FuzzOpenPacket(f *testing.F) {
	for _, s := range fuzzSealedStreams(f) {
		f.Add(s, uint8(0))
		f.Add(s, uint8(0x80|13))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		for _, c := range fuzzCiphers {
			name := c.cipher + "/" + c.mac
			o := fuzzCipher(t, c.cipher, c.mac)
			r := newPacketReader(fuzzReader(data, mode))
			for seq := uint32(0); ; seq++ {
				before := r.consumed
				p, err := o.open(seq, r)
				if len(r.buf) > fuzzMaxReadBuffer {
					t.Fatalf("%s: read buffer grew to %d bytes", name, len(r.buf))
				}
				if r.consumed+uint64(r.buffered()) > uint64(len(data)) {
					t.Fatalf("%s: consumed %d and buffered %d of %d bytes", name, r.consumed, r.buffered(), len(data))
				}
				if err != nil {
					var pe *ProtocolError
					switch {
					case errors.As(err, &pe):
					case err == io.EOF:
						if r.consumed != uint64(len(data)) {
							t.Fatalf("%s: io.EOF after %d of %d bytes", name, r.consumed, len(data))
						}
					case err == io.ErrUnexpectedEOF:
						if r.consumed == uint64(len(data)) {
							t.Fatalf("%s: io.ErrUnexpectedEOF with all %d bytes consumed", name, len(data))
						}
					default:
						t.Fatalf("%s: error %v (%T) is neither a *ProtocolError nor the reader's", name, err, err)
					}
					break
				}
				if len(p) == 0 {
					t.Fatalf("%s: packet %d has no payload", name, seq)
				}
				if n := r.consumed - before; n < uint64(len(p))+1+minPadding+4 {
					t.Fatalf("%s: a %d-byte payload took %d bytes", name, len(p), n)
				}
			}
		}
		if len(data) == 0 || len(data) > maxPayloadOut {
			return
		}
		pad := newPadding([32]byte{byte(len(data))})
		for _, c := range fuzzCiphers {
			s, o := fuzzCipher(t, c.cipher, c.mac), fuzzCipher(t, c.cipher, c.mac)
			pkt := s.seal(3, nil, data, pad)
			p, err := o.open(3, newPacketReader(fuzzReader(pkt, mode)))
			if err != nil || !bytes.Equal(p, data) {
				t.Fatalf("%s: sealed %d bytes, opened %d: %v", c.cipher+"/"+c.mac, len(data), len(p), err)
			}
		}
	})
}

// TestWirePacketLengthNear4GiB: a packet_length near 2^32 (or just past
// the limit) is rejected from the first bytes, with no allocation for
// the packet: under every cipher, open of a header alone returns a
// *ProtocolError, allocates a few bytes for the error at most, and leaves
// the read buffer as it was.
func TestWirePacketLengthNear4GiB(t *testing.T) {
	const runs = 50
	for _, c := range fuzzCiphers {
		for _, length := range []uint32{0xffffffff, 0xfffffff0, 0x80000000, maxPacket + 16} {
			hdr := fuzzHeader(t, c.cipher, c.mac, length)
			// Fresh openers (the stream ciphers' state moves on) and readers
			// with their buffer already made, for AllocsPerRun's first call
			// and each of its runs.
			openers := make([]packetCipher, runs+1)
			readers := make([]*packetReader, runs+1)
			for i := range openers {
				openers[i] = fuzzCipher(t, c.cipher, c.mac)
				readers[i] = newPacketReader(bytes.NewReader(hdr))
				readers[i].buf = make([]byte, initialReadBuffer)
			}
			i := 0
			errs := make([]error, runs+1)
			open := func() {
				_, errs[i] = openers[i].open(0, readers[i])
				i++
			}
			var mem runtime.MemStats
			runtime.ReadMemStats(&mem)
			before := mem.TotalAlloc
			allocs := testing.AllocsPerRun(runs, open)
			runtime.ReadMemStats(&mem)
			perOpen := (mem.TotalAlloc - before) / (runs + 1)

			for _, err := range errs {
				var pe *ProtocolError
				if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "packet length") {
					t.Fatalf("%s/%s: length %#x: error %v, want a *ProtocolError on the length", c.cipher, c.mac, length, err)
				}
			}
			for _, r := range readers {
				if len(r.buf) != initialReadBuffer {
					t.Fatalf("%s/%s: length %#x: read buffer grew to %d", c.cipher, c.mac, length, len(r.buf))
				}
			}
			if raceEnabled {
				continue // the race detector allocates
			}
			// The error and its message: a *ProtocolError, its formatted
			// reason and the boxed length.
			if allocs > 3 || perOpen > 256 {
				t.Errorf("%s/%s: length %#x: %.0f allocations, %d bytes per open", c.cipher, c.mac, length, allocs, perOpen)
			}
		}
	}
}

// fuzzHeader returns the first bytes of a packet whose packet_length is
// length, as the peer would send them under the cipher with fuzzCipher's
// keys at sequence number 0: 5 bytes, or the first block where the length
// is encrypted with the block.
func fuzzHeader(tb testing.TB, cipherName, macName string, length uint32) []byte {
	hdr := binary.BigEndian.AppendUint32(nil, length)
	s := fuzzCipher(tb, cipherName, macName)
	switch c := s.(type) {
	case *chachaCipher:
		c.xorLength(hdr, hdr, c.setNonce(0))
	case *blockCipher:
		if !c.etm {
			hdr = append(hdr, make([]byte, aes.BlockSize-4)...)
			c.crypt(hdr, hdr)
			return hdr
		}
	case *cbcCipher:
		if !c.enc.etm {
			hdr = append(hdr, make([]byte, c.enc.blockSize-4)...)
			c.enc.crypt(hdr, hdr)
			return hdr
		}
	}
	return append(hdr, 0)
}

// FuzzReadVersion runs readVersion over arbitrary input: it must end in a
// version line or an error (a *ProtocolError, io.EOF or
// io.ErrUnexpectedEOF), keep what it returns within the limits on lines
// and their length, and leave the bytes after the version line unread.
func FuzzReadVersion(f *testing.F) {
	for _, s := range []string{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n",
		"SSH-2.0-dropbear_2022.83\r\n",
		"SSH-1.99-Cisco-1.25\r\n",
		"SSH-2.0-bare-lf\n",
		"SSH-1.5-old\r\n",
		"banner line\r\nanother\r\n\r\nSSH-2.0-x\r\n\x00\x00\x00\x0c\x0a\x15",
		"SSH-2.0-a\x00b\r\n",
		"SSH-2.0-" + strings.Repeat("v", 300) + "\r\n",
		strings.Repeat("\n", 1100) + "SSH-2.0-x\r\n",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		r := newPacketReader(fuzzReader(data, mode))
		version, preamble, err := readVersion(r)
		if len(r.buf) > bulkReadBuffer {
			t.Fatalf("read buffer grew to %d bytes", len(r.buf))
		}
		if len(preamble) > maxPreamble {
			t.Fatalf("%d preamble lines kept", len(preamble))
		}
		for i, l := range preamble {
			if len(l) >= maxPreambleLine {
				t.Fatalf("preamble line %d is %d bytes long, over the limit of %d", i, len(l), maxPreambleLine)
			}
		}
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) && err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("error %v (%T) is neither a *ProtocolError nor the reader's", err, err)
			}
			if version != nil {
				t.Fatal("version returned with an error")
			}
			return
		}
		if !bytes.HasPrefix(version, []byte("SSH-2.0-")) && !bytes.HasPrefix(version, []byte("SSH-1.99-")) {
			t.Fatalf("accepted version %q", version)
		}
		if len(version) > maxVersionLine-2 || bytes.ContainsAny(version, "\x00\n") {
			t.Fatalf("accepted version %q", version)
		}
		// The version line ended at the last byte consumed, and the rest
		// is left for the packets.
		end := int(r.consumed)
		if end < 1 || data[end-1] != '\n' {
			t.Fatalf("version %q: consumed %d bytes of % x", version, end, data)
		}
		line := bytes.TrimSuffix(data[:end-1], []byte("\r"))
		start := len(line) - len(version)
		if !bytes.HasSuffix(line, version) || (start > 0 && data[start-1] != '\n') {
			t.Fatalf("version %q is not the line that ends at byte %d of % x", version, end, data)
		}
	})
}

// TestReadVersionLongPreambleLine: lines before the version line are
// limited to maxPreambleLine bytes whether they arrive in one read or
// byte by byte.
func TestReadVersionLongPreambleLine(t *testing.T) {
	in := strings.Repeat("x", 20000) + "\r\nSSH-2.0-OpenSSH_9.2\r\n"
	for _, mode := range []uint8{1, 0x7f, 0} {
		_, preamble, err := readVersion(newPacketReader(fuzzReader([]byte(in), mode)))
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			n := 0
			if len(preamble) > 0 {
				n = len(preamble[0])
			}
			t.Errorf("reader mode %#x: a %d-byte line accepted (kept %d bytes of it), err %v; want a *ProtocolError",
				mode, 20000, n, err)
		}
	}
}
