// Package wire encodes and decodes SSH's data types and messages
// (RFC 4251 section 5; the messages of RFC 4253, 4252 and 4254).
//
// It is pure: no I/O and no state beyond the bytes given. Decoders check
// every length against the bytes actually present before they allocate
// anything, so a hostile peer cannot make a decoder allocate more than the
// packet it sent. Errors are *ParseError values naming the message and
// field that failed.
//
// Encoders are append-style (AppendX(dst, ...) []byte) so callers can build
// packets into buffers they reuse.
package wire
