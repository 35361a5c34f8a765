package wire

import (
	"encoding/binary"
	"math/big"
	"strings"
)

// Reader decodes SSH data types from a byte slice. The first failure
// sticks: later reads return zero values, and Err reports the first field
// that failed. Slices it returns alias the input.
type Reader struct {
	b      []byte
	msg    string
	failed string
	bad    bool
}

// NewReader returns a Reader over b for the message named msg (used in
// errors).
func NewReader(msg string, b []byte) *Reader { return &Reader{b: b, msg: msg} }

func (r *Reader) fail(field string) {
	if !r.bad {
		r.bad, r.failed, r.b = true, field, nil
	}
}

// Err returns the first failure, or nil.
func (r *Reader) Err() error {
	if r.bad {
		return &ParseError{Msg: r.msg, Field: r.failed}
	}
	return nil
}

// End returns the first failure, or an error if bytes are left over.
func (r *Reader) End() error {
	if err := r.Err(); err != nil {
		return err
	}
	if len(r.b) != 0 {
		return &ParseError{Msg: r.msg}
	}
	return nil
}

// Rest returns the bytes not read yet.
func (r *Reader) Rest() []byte {
	b := r.b
	r.b = nil
	return b
}

// Len returns the number of bytes not read yet.
func (r *Reader) Len() int { return len(r.b) }

// Byte reads one byte.
func (r *Reader) Byte(field string) byte {
	if len(r.b) < 1 {
		r.fail(field)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// Bool reads a boolean: any non-zero byte is true (RFC 4251 section 5).
func (r *Reader) Bool(field string) bool { return r.Byte(field) != 0 }

// Uint32 reads a big-endian uint32.
func (r *Reader) Uint32(field string) uint32 {
	if len(r.b) < 4 {
		r.fail(field)
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// Uint64 reads a big-endian uint64.
func (r *Reader) Uint64(field string) uint64 {
	if len(r.b) < 8 {
		r.fail(field)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// Bytes reads n raw bytes.
func (r *Reader) Bytes(field string, n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail(field)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// String reads a length-prefixed string. The result aliases the input.
func (r *Reader) String(field string) []byte {
	n := r.Uint32(field)
	if r.bad {
		return nil
	}
	if uint64(n) > uint64(len(r.b)) {
		r.fail(field)
		return nil
	}
	return r.Bytes(field, int(n))
}

// Text reads a length-prefixed string and copies it into a Go string.
func (r *Reader) Text(field string) string { return string(r.String(field)) }

// NameList reads a comma-separated name-list. Empty names are rejected,
// as RFC 4251 section 5 requires.
func (r *Reader) NameList(field string) []string {
	s := r.String(field)
	if r.bad || len(s) == 0 {
		return nil
	}
	names := strings.Split(string(s), ",")
	for _, n := range names {
		if n == "" {
			r.fail(field)
			return nil
		}
	}
	return names
}

// MPInt reads a multiple precision integer. Negative values are rejected:
// nothing in SSH sends them.
func (r *Reader) MPInt(field string) *big.Int {
	s := r.String(field)
	if r.bad {
		return nil
	}
	if len(s) > 0 && s[0]&0x80 != 0 {
		r.fail(field)
		return nil
	}
	return new(big.Int).SetBytes(s)
}
