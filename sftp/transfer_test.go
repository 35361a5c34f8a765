package sftp_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	pkgsftp "github.com/pkg/sftp"
)

// transferSize is the size of the file TestLargeFile moves each way. The
// race detector slows the ciphers about tenfold, so under it the file is
// small; scripts/test runs the full size without it.
func transferSize() int64 {
	if raceEnabled {
		return 16 << 20
	}
	return 1 << 30
}

// stream is size bytes of a deterministic pseudo-random stream, hashed as
// it is read. It is an *io.LimitedReader so that pkg/sftp's File.ReadFrom
// knows the size and writes concurrently.
func stream(size int64, h io.Writer) *io.LimitedReader {
	src := rand.NewChaCha8([32]byte{'a', 'm', 'i', 'k', 'o'})
	return &io.LimitedReader{R: io.TeeReader(src, h), N: size}
}

// TestLargeFile uploads a file and downloads it again through pkg/sftp's
// concurrent paths (File.ReadFrom and File.WriteTo, which io.Copy picks),
// and compares SHA-256 sums: of the data sent, of the file sshd wrote,
// and of the data received.
func TestLargeFile(t *testing.T) {
	s := startServer(t)
	checkNoLeak(t)
	sc := openSFTP(t, connect(t, s))
	size := transferSize()
	remote := filepath.Join(s.Dir, "big")

	sent := sha256.New()
	up := upload(t, sc, remote, stream(size, sent))

	onDisk := sha256.New()
	f, err := os.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(onDisk, f)
	f.Close()
	if err != nil || n != size {
		t.Fatalf("reading the uploaded file: %d bytes, %v", n, err)
	}
	if !bytes.Equal(onDisk.Sum(nil), sent.Sum(nil)) {
		t.Fatal("the file sshd wrote differs from the data sent")
	}

	received := sha256.New()
	down := download(t, sc, remote, received)
	if !bytes.Equal(received.Sum(nil), sent.Sum(nil)) {
		t.Fatal("the data received differs from the data sent")
	}
	if !raceEnabled {
		mb := float64(size) / 1e6
		t.Logf("%d MiB: upload %.0f MB/s, download %.0f MB/s", size>>20, mb/up.Seconds(), mb/down.Seconds())
	}
}

// upload copies r to a new remote file and returns how long it took.
func upload(t testing.TB, sc *pkgsftp.Client, remote string, r *io.LimitedReader) time.Duration {
	t.Helper()
	size := r.N
	start := time.Now()
	f, err := sc.OpenFile(remote, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || n != size {
		t.Fatalf("upload: %d of %d bytes, %v", n, size, err)
	}
	return time.Since(start)
}

// download copies a remote file to w and returns how long it took.
func download(t testing.TB, sc *pkgsftp.Client, remote string, w io.Writer) time.Duration {
	t.Helper()
	start := time.Now()
	f, err := sc.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		t.Fatalf("download: %d bytes, %v", n, err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if n != st.Size() {
		t.Fatalf("download: %d of %d bytes", n, st.Size())
	}
	return time.Since(start)
}
