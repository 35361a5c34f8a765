package zlib

// Huffman decoding tables.
//
// A table is a primary table of 1<<root entries indexed by the next root
// bits of the stream (least significant bit first, as deflate packs them),
// followed by second-level tables for codes longer than root bits. The
// construction follows zlib's inflate_table (inftrees.c).
//
// An entry packs three fields into a uint32:
//
//	bits  0..7   n: total code length in bits (excluding extra bits)
//	bits  8..15  op: what the entry means, see the op* constants
//	bits 16..31  val: literal byte, base length, base distance, code-length
//	             symbol, or the offset of a second-level table
type entry uint32

const (
	opLit  = 0x00 // literal byte (or code-length symbol) in val
	opBase = 0x10 // length or distance: base in val, op&15 extra bits
	opEOB  = 0x20 // end of block
	opLink = 0x40 // second-level table at offset val, op&15 index bits
	opBad  = 0x80 // invalid code; known to be invalid once n bits are present
)

func mkEntry(n, op, val uint) entry { return entry(n | op<<8 | val<<16) }

func (e entry) n() uint   { return uint(e & 0xff) }
func (e entry) op() uint  { return uint(e>>8) & 0xff }
func (e entry) val() uint { return uint(e >> 16) }

const (
	maxBits  = 15  // longest code in deflate
	maxLit   = 286 // literal/length symbols a dynamic block may use
	maxDist  = 30  // distance symbols a dynamic block may use
	maxCodes = 19  // code length symbols

	litRoot  = 10
	distRoot = 8
	clRoot   = 7

	// Table sizes: the primary table plus room for every second-level
	// table. A second-level table of 1<<k entries needs at least k+1 codes
	// below its prefix, and k <= maxBits-root, so with s symbols there are
	// at most s/(maxBits-root+1) full-size second-level tables (plus one
	// smaller table for the remainder). buildTable also checks the bound.
	litTableSize  = 1<<litRoot + (288/(maxBits-litRoot+1))<<(maxBits-litRoot) + 1<<(288%(maxBits-litRoot+1))
	distTableSize = 1<<distRoot + (32/(maxBits-distRoot+1))<<(maxBits-distRoot) + 1<<(32%(maxBits-distRoot+1))
	clTableSize   = 1 << clRoot
)

type (
	litTable  [litTableSize]entry
	distTable [distTableSize]entry
	clTable   [clTableSize]entry
)

const (
	kindCodeLen = iota
	kindLit
	kindDist
)

var lengthBase = [29]uint16{
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
}

var lengthExtra = [29]uint8{
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
}

var distBase = [30]uint16{
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
}

var distExtra = [30]uint8{
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
}

// symEntry is the table entry for symbol s of a code of the given kind
// whose code is n bits long.
func symEntry(kind int, s, n uint) entry {
	switch kind {
	case kindLit:
		switch {
		case s < 256:
			return mkEntry(n, opLit, s)
		case s == 256:
			return mkEntry(n, opEOB, 0)
		case s < 257+29:
			return mkEntry(n, opBase|uint(lengthExtra[s-257]), uint(lengthBase[s-257]))
		}
		return mkEntry(n, opBad, 0) // 286, 287: only in the fixed code
	case kindDist:
		if s < 30 {
			return mkEntry(n, opBase|uint(distExtra[s]), uint(distBase[s]))
		}
		return mkEntry(n, opBad, 0) // 30, 31: only in the fixed code
	}
	return mkEntry(n, opLit, s)
}

// buildTable fills t with the decoding table for the code lengths lens
// (lens[s] is the length of symbol s's code, 0 if s is unused), with a
// primary table of 1<<root entries. It reports false if the lengths do not
// describe a valid prefix code: over-subscribed, or incomplete other than a
// single one-bit code (which deflate allows; an empty code is allowed too,
// and every lookup in it is invalid).
func buildTable(t []entry, lens []uint8, root uint, kind int) bool {
	// Count the code lengths (each at most maxBits); two tables halve the
	// store-to-load dependencies between increments.
	var count, count2 [maxBits + 1]uint16
	i := 0
	for ; i+1 < len(lens); i += 2 {
		count[lens[i]&15]++
		count2[lens[i+1]&15]++
	}
	if i < len(lens) {
		count[lens[i]&15]++
	}
	for i := range count {
		count[i] += count2[i]
	}
	count[0] = 0
	maxLen := uint(maxBits)
	for maxLen >= 1 && count[maxLen] == 0 {
		maxLen--
	}
	size := 1 << root
	if len(t) < size {
		return false
	}
	if maxLen == 0 {
		// No codes: every lookup is invalid, without reading any bits.
		bad := mkEntry(0, opBad, 0)
		for i := range t[:size] {
			t[i] = bad
		}
		return true
	}

	// Check the Kraft sum.
	left := 1
	for l := 1; l <= maxBits; l++ {
		left <<= 1
		left -= int(count[l])
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 {
		if maxLen != 1 {
			return false // incomplete
		}
		// A single one-bit code: the other bit value is invalid.
		bad := mkEntry(1, opBad, 0)
		for i := range t[:size] {
			t[i] = bad
		}
	}

	// Sort the symbols by code length, then by symbol value: this is the
	// order in which canonical codes are assigned.
	var offs [maxBits + 2]uint16
	for l := 1; l <= maxBits; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var work [288]uint16
	for s, l := range lens {
		if l != 0 {
			work[offs[l]] = uint16(s)
			offs[l]++
		}
	}

	// Walk the codes in canonical order, keeping huff as the bit-reversed
	// current code. (Moving on to a longer code appends zero bits to the
	// code, which leaves the bit-reversed value as it is.)
	var (
		huff uint // bit-reversed code being assigned
		sym  int  // index in work
	)

	// Codes of up to root bits go in the primary table. It is filled one
	// code length at a time: once t[:1<<l] is right for the codes of up to
	// l bits, doubling it makes t[:2<<l] right for them too, and the codes
	// of l+1 bits then go in one entry each. (Entries left from an earlier
	// table at the indices of longer codes are overwritten later.)
	end := 1
	for l := uint(1); l <= root; l++ {
		copy(t[end:2*end], t[:end])
		end *= 2
		for c := count[l&15]; c > 0; c-- {
			t[huff&uint(size-1)] = symEntry(kind, uint(work[sym]), l)
			sym++
			huff = incReversed(huff, l)
		}
	}

	// Longer codes go in second-level tables, indexed by the code bits after
	// the first root bits; codes with the same first root bits share a
	// table, big enough for the longest of them (see zlib's inftrees.c).
	var (
		low   = ^uint(0)       // primary index of the current second-level table
		mask  = uint(size - 1) // primary index bits
		next  = 0              // offset of the current table in t
		tsize = size           // its size
		used  = size
	)
	for n := root + 1; n <= maxLen; n++ {
		for ; count[n] > 0; count[n]-- {
			if huff&mask != low {
				// Start a new table, with as many index bits as the
				// remaining codes under this prefix need.
				next += tsize
				curr := n - root
				rem := 1 << curr
				for curr+root < maxLen {
					rem -= int(count[curr+root])
					if rem <= 0 {
						break
					}
					curr++
					rem <<= 1
				}
				tsize = 1 << curr
				used += tsize
				if used > len(t) {
					return false
				}
				low = huff & mask
				t[low] = mkEntry(root, opLink|curr, uint(next))
			}
			// Replicate the entry at every index whose low n-root bits
			// are the code's.
			e := symEntry(kind, uint(work[sym]), n)
			tbl := t[next : next+tsize]
			for i := int(huff >> root); i < len(tbl); i += 1 << (n - root) {
				tbl[i] = e
			}
			sym++
			huff = incReversed(huff, n)
		}
	}
	return true
}

// incReversed returns the bit-reversed n-bit code after the bit-reversed
// code huff.
func incReversed(huff, n uint) uint {
	bit := uint(1) << (n - 1)
	for huff&bit != 0 {
		bit >>= 1
	}
	if bit == 0 {
		return 0
	}
	return huff&(bit-1) + bit
}

// The fixed Huffman code of RFC 1951 section 3.2.6.
var fixedLit, fixedDist = func() (*litTable, *distTable) {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	lt := new(litTable)
	if !buildTable(lt[:], lens[:], litRoot, kindLit) {
		panic("zlib: bad fixed literal table")
	}
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	dt := new(distTable)
	if !buildTable(dt[:], dl[:], distRoot, kindDist) {
		panic("zlib: bad fixed distance table")
	}
	return lt, dt
}()
