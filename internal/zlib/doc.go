// Package zlib implements the per-packet compression used by SSH
// ("zlib", RFC 4253 section 6.2, and "zlib@openssh.com").
//
// SSH compression is one zlib stream (RFC 1950 wrapping RFC 1951 deflate)
// per direction that lives for the whole connection. The sender compresses
// each packet's payload and flushes: OpenSSH uses zlib's Z_PARTIAL_FLUSH,
// which ends the current block and appends an empty fixed-Huffman block
// that does not end on a byte boundary, so the last bits of one packet are
// completed by the first bits of the next one. The receiver must be able to
// decompress everything a packet carries as soon as that packet arrives,
// keep the leftover bits, and resume with the next packet.
//
// The standard library's compress/flate cannot do that: its reader pulls
// input from an io.Reader, and when the input runs out in the middle of the
// bitstream it fails with a sticky error and cannot be resumed; a blocking
// reader fed from another goroutine would be needed instead. So the
// decompressor here, Inflater, is written from scratch as a push-style
// ("resumable") inflater:
//
//   - RFC 1950 header (a preset dictionary is rejected) and, should the peer
//     ever end the stream, the final block and the Adler-32 trailer, which is
//     verified;
//   - RFC 1951 stored, fixed-Huffman and dynamic-Huffman blocks with a
//     32 KiB window that persists across packets;
//   - table-driven Huffman decoding (a primary lookup table plus second-level
//     tables, as in zlib's inflate) with a fast loop that refills a 64-bit
//     bit buffer a word at a time, and a careful loop for the last bytes of a
//     packet that only consumes an item (a header, a code length, a literal,
//     or a length/distance pair) once all of its bits are present; an
//     unfinished item stays in the bit buffer (at most 63 bits) for the next
//     call, so the input slice is never retained;
//   - a per-call output limit: decompressing more than the limit fails with
//     ErrTooLarge before more than the limit (plus one match) is produced,
//     so a decompression bomb costs no memory;
//   - no goroutines, and no allocation per call in steady state (the window
//     and the decoding tables live in the Inflater).
//
// Corrupt input gives a *FormatError; after any error an Inflater stays
// failed until Reset.
//
// Deflater, the compressing side, wraps github.com/klauspost/compress/zlib
// (measured 4.4x faster than compress/zlib at level 6): every call writes the
// payload and does a sync flush (an empty stored block), which every inflater,
// including OpenSSH's, decompresses completely.
package zlib
