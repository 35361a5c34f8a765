package krb5

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

// parseGSSChecksum reads a 0x8003 checksum, as an acceptor would.
func parseGSSChecksum(b []byte) (gssChecksum, error) {
	var c gssChecksum
	if len(b) < 24 {
		return c, fmt.Errorf("%w: GSS checksum of %d bytes", ErrDefectiveToken, len(b))
	}
	if l := binary.LittleEndian.Uint32(b[0:]); l != 16 {
		return c, fmt.Errorf("%w: GSS checksum binding length %d", ErrDefectiveToken, l)
	}
	copy(c.Bindings[:], b[4:20])
	c.Flags = binary.LittleEndian.Uint32(b[20:])
	if c.Flags&flagDeleg == 0 {
		return c, nil
	}
	if len(b) < 28 {
		return c, fmt.Errorf("%w: GSS checksum with GSS_C_DELEG_FLAG but no credentials", ErrDefectiveToken)
	}
	if opt := binary.LittleEndian.Uint16(b[24:]); opt != 1 {
		return c, fmt.Errorf("%w: GSS checksum DlgOpt %d", ErrDefectiveToken, opt)
	}
	n := int(binary.LittleEndian.Uint16(b[26:]))
	if len(b)-28 < n {
		return c, fmt.Errorf("%w: GSS checksum Dlgth %d beyond its end", ErrDefectiveToken, n)
	}
	c.Deleg = b[28 : 28+n]
	return c, nil
}

// The checksum's layout, RFC 4121 section 4.1.1: little-endian Lgth 16,
// sixteen zero bytes for no channel bindings, little-endian flags.
func TestGSSChecksumBytes(t *testing.T) {
	b, err := gssChecksum{Flags: flagMutual | flagInteg | flagSequence}.marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("10000000" + "00000000000000000000000000000000" + "2a000000")
	if !bytes.Equal(b, want) {
		t.Fatalf("checksum = %x, want %x", b, want)
	}

	deleg := bytes.Repeat([]byte{0x76}, 300)
	b, err = gssChecksum{Flags: flagMutual | flagInteg | flagSequence | flagDeleg, Deleg: deleg}.marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, _ = hex.DecodeString("10000000" + "00000000000000000000000000000000" + "2b000000" + "0100" + "2c01")
	if !bytes.Equal(b[:28], want) || !bytes.Equal(b[28:], deleg) {
		t.Fatalf("checksum with delegation starts %x, want %x", b[:28], want)
	}
	c, err := parseGSSChecksum(b)
	if err != nil || c.Flags != 0x2b || !bytes.Equal(c.Deleg, deleg) {
		t.Fatalf("parse: %+v, %v", c, err)
	}
}

func TestGSSChecksumLimits(t *testing.T) {
	if _, err := (gssChecksum{Flags: flagDeleg, Deleg: make([]byte, 0x10000)}).marshal(); err == nil {
		t.Error("a KRB-CRED of 64 KiB fits a 16-bit Dlgth")
	}
	if _, err := (gssChecksum{Flags: flagMutual, Deleg: []byte{1}}).marshal(); err == nil {
		t.Error("credentials without GSS_C_DELEG_FLAG were encoded")
	}
	good, _ := gssChecksum{Flags: flagDeleg, Deleg: []byte{1, 2, 3}}.marshal()
	for name, b := range map[string][]byte{
		"short":          good[:23],
		"lgth 17":        append([]byte{17}, good[1:]...),
		"deleg, no opt":  good[:26],
		"dlgth too long": good[:30],
		"dlgopt 2":       append(append(append([]byte(nil), good[:24]...), 2), good[25:]...),
	} {
		if _, err := parseGSSChecksum(b); !errors.Is(err, ErrDefectiveToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
