package zlib

import "testing"

// FuzzInflate gives the Inflater arbitrary data cut into pieces chosen by
// seed, and checks it against compress/zlib (see checkAgainstFlate): no
// panic, only typed errors, and the same output wherever compress/zlib can
// decode the data. The seed corpus is in testdata/fuzz/FuzzInflate (made by
// testdata/gen_vectors.py).
func FuzzInflate(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		if len(data) > 1<<16 {
			return
		}
		checkAgainstFlate(t, data, seed)
	})
}
