package clientrun

import (
	"bytes"
	"io"
	"testing"
)

// TestTokenWriter checks that the ceiling experiment's output writes one
// byte with the first byte and one per MiB completed, however the writes
// split the stream.
func TestTokenWriter(t *testing.T) {
	for _, sizes := range [][]int{
		{1},
		{NoIOScale},
		{NoIOScale + 1},
		{NoIOScale - 1, 1, 1},
		{3, 5 * NoIOScale, 7},
		{200 * NoIOScale},
	} {
		var out bytes.Buffer
		w := &tokenWriter{w: &out}
		total := 0
		for _, n := range sizes {
			total += n
			if got, err := w.Write(make([]byte, n)); got != n || err != nil {
				t.Fatalf("Write(%d bytes) = %d, %v", n, got, err)
			}
			if want := 1 + total/NoIOScale; out.Len() != want {
				t.Fatalf("writes %v: %d bytes out after %d, want %d", sizes, out.Len(), total, want)
			}
		}
	}
}

// TestZeros checks the input the ceiling experiment makes.
func TestZeros(t *testing.T) {
	b, err := io.ReadAll(io.LimitReader(zeros{}, 3*NoIOScale+5))
	if err != nil || len(b) != 3*NoIOScale+5 || bytes.ContainsFunc(b, func(r rune) bool { return r != 0 }) {
		t.Fatalf("zeros: %d bytes, %v", len(b), err)
	}
}
