package zlib

import (
	"bytes"
	"compress/gzip"
	czlib "compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The vectors in testdata/vectors were made by testdata/gen_vectors.py with
// the C zlib library: one stream per vector, compressed packet by packet
// and flushed after each packet as an SSH sender does.

type vectorInfo struct {
	Name     string `json:"name"`
	File     string `json:"file"`
	Plain    string `json:"plain"`
	Packets  int    `json:"packets"`
	Bytes    int    `json:"bytes"`
	Level    int    `json:"level"`
	Flush    string `json:"flush"`
	Strategy string `json:"strategy"`
	Wbits    int    `json:"wbits"`
	Finish   bool   `json:"finish"`
}

type vector struct {
	vectorInfo
	comp  [][]byte // compressed packets
	plain [][]byte // their plaintexts
}

func readGzip(t testing.TB, name string) []byte {
	t.Helper()
	fp, err := os.Open(filepath.Join("testdata", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fp.Close()
	zr, err := gzip.NewReader(fp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	vectorsOnce sync.Once
	vectorsList []*vector
	vectorsErr  error
)

func loadVectors(t testing.TB) []*vector {
	t.Helper()
	vectorsOnce.Do(func() {
		vectorsList, vectorsErr = readVectors(t)
	})
	if vectorsErr != nil {
		t.Fatal(vectorsErr)
	}
	return vectorsList
}

func readVectors(t testing.TB) ([]*vector, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "vectors", "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m struct {
		Vectors []vectorInfo `json:"vectors"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	plains := map[string][]byte{}
	var out []*vector
	for _, vi := range m.Vectors {
		plain, ok := plains[vi.Plain]
		if !ok {
			plain = readGzip(t, vi.Plain)
			plains[vi.Plain] = plain
		}
		recs := readGzip(t, vi.File)
		v := &vector{vectorInfo: vi}
		pos := 0
		for len(recs) > 0 {
			if len(recs) < 8 {
				return nil, errors.New(vi.Name + ": truncated record")
			}
			pl, cl := int(binary.BigEndian.Uint32(recs)), int(binary.BigEndian.Uint32(recs[4:]))
			recs = recs[8:]
			if cl > len(recs) || pos+pl > len(plain) {
				return nil, errors.New(vi.Name + ": bad record")
			}
			v.comp = append(v.comp, recs[:cl])
			v.plain = append(v.plain, plain[pos:pos+pl])
			recs = recs[cl:]
			pos += pl
		}
		if len(v.comp) != vi.Packets || pos != vi.Bytes {
			return nil, errors.New(vi.Name + ": packet count or size differs from the manifest")
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("no vectors")
	}
	return out, nil
}

// TestVectors feeds each packet of each C zlib stream to an Inflater and
// checks that the packet's plaintext comes out of it, exactly, with the
// output limit set to the packet's size.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			f := NewInflater()
			var out []byte
			straddles := 0
			for i, c := range v.comp {
				var err error
				out, err = f.Inflate(out[:0], c, len(v.plain[i]))
				if err != nil {
					t.Fatalf("packet %d (%d bytes): %v", i, len(c), err)
				}
				if !bytes.Equal(out, v.plain[i]) {
					t.Fatalf("packet %d: got %d bytes, want %d (first difference at %d)",
						i, len(out), len(v.plain[i]), firstDiff(out, v.plain[i]))
				}
				if f.nb%8 != 0 {
					straddles++ // the packet ended inside a byte
				}
			}
			if v.Flush == "partial" && straddles == 0 {
				t.Errorf("no packet ended mid-byte: the vector does not test resuming across packets")
			}
			if v.Finish {
				if f.state != stDone {
					t.Fatalf("stream did not end (state %d)", f.state)
				}
				if _, err := f.Inflate(nil, nil, 0); err != nil {
					t.Fatalf("empty input after the end: %v", err)
				}
				_, err := f.Inflate(nil, []byte{0}, 100)
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("data after the end: got %v, want a *FormatError", err)
				}
			} else if f.state == stDone || f.state == stTrailer {
				t.Fatalf("unexpected end of stream")
			}
		})
	}
}

// TestVectorsResplit cuts every packet again at random places: the output
// of the pieces of a packet must add up to the packet's plaintext.
func TestVectorsResplit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			f := NewInflater()
			var out []byte
			for i, c := range v.comp {
				out = out[:0]
				for len(c) > 0 {
					n := min(len(c), 1+rnd.IntN(1+rnd.IntN(len(c))))
					var err error
					out, err = f.Inflate(out, c[:n], len(v.plain[i]))
					if err != nil {
						t.Fatalf("packet %d: %v", i, err)
					}
					c = c[n:]
				}
				if !bytes.Equal(out, v.plain[i]) {
					t.Fatalf("packet %d: got %d bytes, want %d", i, len(out), len(v.plain[i]))
				}
			}
		})
	}
}

// TestVectorsWhole gives each stream in one piece, and checks
// compress/zlib's reading of it too (a check of the vectors themselves).
func TestVectorsWhole(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			stream := bytes.Join(v.comp, nil)
			want := bytes.Join(v.plain, nil)
			f := NewInflater()
			got, err := f.Inflate(nil, stream, len(want))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(want))
			}
			if _, err := f.Inflate(nil, nil, 0); err != nil {
				t.Fatal(err)
			}
			// One byte less than the whole: ErrTooLarge.
			if len(want) > 0 {
				f.Reset()
				if _, err := f.Inflate(nil, stream, len(want)-1); err != ErrTooLarge {
					t.Fatalf("limit one below the size: got %v, want ErrTooLarge", err)
				}
			}

			zr, err := czlib.NewReader(bytes.NewReader(stream))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := io.ReadAll(zr)
			if v.Finish {
				if err != nil {
					t.Fatalf("compress/zlib: %v", err)
				}
			} else if err != io.ErrUnexpectedEOF {
				t.Fatalf("compress/zlib: got %v, want io.ErrUnexpectedEOF (the stream never ends)", err)
			}
			if !bytes.Equal(ref, want) {
				t.Fatalf("compress/zlib disagrees with the vector")
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
