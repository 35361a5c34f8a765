package clientrun

import (
	"io"
	"os"
)

// The ceiling experiment (-no-io) measures what the rest of a transfer's
// pipeline allows: the server, the command feeding or draining it, the
// loopback connection and the client's own SSH work, without the system
// calls that move the data between the client and its standard streams,
// nor the reader of its output. A client that must deliver what it
// receives cannot go faster than this.

// NoIOStdout is the command's output in the ceiling experiment: it
// counts the bytes and drops them, writing one byte to the process's
// standard output with the first byte and one as each MiB completes, so
// that the harness, reading the pipe, still sees the first and the last
// moment of a transfer of whole MiBs (the benchmark's sizes) and counts
// them (one too many, so it caps the count at the size it asked for).
func NoIOStdout() io.Writer { return &tokenWriter{w: os.Stdout} }

// NoIOScale is how many bytes of output each byte NoIOStdout writes
// stands for.
const NoIOScale = 1 << 20

type tokenWriter struct {
	w io.Writer
	n int64 // bytes dropped so far
}

func (t *tokenWriter) Write(p []byte) (int, error) {
	tokens := (t.n+int64(len(p)))/NoIOScale - t.n/NoIOScale
	if t.n == 0 && len(p) > 0 {
		tokens++ // the first byte
	}
	t.n += int64(len(p))
	var token [64]byte
	for tokens > 0 {
		k := min(tokens, int64(len(token)))
		if _, err := t.w.Write(token[:k]); err != nil {
			return 0, err
		}
		tokens -= k
	}
	return len(p), nil
}

// NoIOStdin is the command's input in the ceiling experiment: where the
// process's standard input is a regular file (an upload's source), as
// many zero bytes as it holds, made in the process rather than read;
// otherwise (a download's /dev/null) standard input itself.
func NoIOStdin() (io.Reader, error) {
	fi, err := os.Stdin.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return os.Stdin, nil
	}
	return io.LimitReader(zeros{}, fi.Size()), nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
