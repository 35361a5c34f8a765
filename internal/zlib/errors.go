package zlib

import (
	"errors"
	"strconv"
)

// ErrTooLarge is returned by Inflater.Inflate when a packet decompresses to
// more than the allowed number of bytes.
var ErrTooLarge = errors.New("zlib: decompressed packet exceeds size limit")

// A FormatError reports corrupt or unsupported compressed data.
type FormatError struct {
	// Offset is the position in the compressed stream (counting every byte
	// given to the Inflater since it was created or reset) near which the
	// problem was found.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

func (e *FormatError) Error() string {
	return "zlib: " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10)
}
