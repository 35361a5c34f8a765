package wire

import (
	"encoding/binary"
	"math/big"
)

// AppendUint32 appends v big-endian.
func AppendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// AppendBool appends a boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendString appends a length-prefixed string.
func AppendString(b []byte, s []byte) []byte {
	b = AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// AppendText appends a length-prefixed string.
func AppendText(b []byte, s string) []byte {
	b = AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// AppendNameList appends a comma-separated name-list.
func AppendNameList(b []byte, names []string) []byte {
	n := 0
	for i, s := range names {
		if i > 0 {
			n++
		}
		n += len(s)
	}
	b = AppendUint32(b, uint32(n))
	for i, s := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	return b
}

// AppendMPInt appends a non-negative multiple precision integer.
func AppendMPInt(b []byte, v *big.Int) []byte {
	return AppendMPIntBytes(b, v.Bytes())
}

// AppendMPIntBytes appends the unsigned big-endian integer mag as an
// mpint: leading zeros stripped, a zero byte added if the top bit is set.
func AppendMPIntBytes(b []byte, mag []byte) []byte {
	for len(mag) > 0 && mag[0] == 0 {
		mag = mag[1:]
	}
	if len(mag) > 0 && mag[0]&0x80 != 0 {
		b = AppendUint32(b, uint32(len(mag)+1))
		b = append(b, 0)
		return append(b, mag...)
	}
	b = AppendUint32(b, uint32(len(mag)))
	return append(b, mag...)
}
