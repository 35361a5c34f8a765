package transport

import (
	"bytes"
	"fmt"
	"strings"
)

// Limits on what a server may send before its version line (RFC 4253
// section 4.2 allows other lines first). They bound the memory and time a
// server that never sends a version can take.
const (
	maxVersionLine  = 255 // RFC 4253: including CR LF
	maxPreambleLine = 8192
	maxPreamble     = 1024 // lines
)

// readVersion reads lines until the server's version line and returns it
// without its line ending, and the lines before it.
func readVersion(r *packetReader) (version []byte, preamble []string, err error) {
	for range maxPreamble + 1 {
		line, err := readLine(r)
		if err != nil {
			return nil, preamble, err
		}
		if bytes.HasPrefix(line, []byte("SSH-")) {
			if len(line) > maxVersionLine-2 {
				return nil, preamble, &ProtocolError{Reason: "version line too long"}
			}
			if !bytes.HasPrefix(line, []byte("SSH-2.0-")) && !bytes.HasPrefix(line, []byte("SSH-1.99-")) {
				return nil, preamble, &ProtocolError{Reason: fmt.Sprintf("unsupported protocol version %q", line)}
			}
			if bytes.ContainsAny(line, "\x00") {
				return nil, preamble, &ProtocolError{Reason: "NUL in version line"}
			}
			return bytes.Clone(line), preamble, nil
		}
		if len(preamble) < maxPreamble {
			preamble = append(preamble, string(line))
		}
	}
	return nil, preamble, &ProtocolError{Reason: fmt.Sprintf("more than %d lines before the version line", maxPreamble)}
}

// readLine returns the next line without CR LF (or a bare LF, which
// OpenSSH accepts too). The slice is valid until the next read.
func readLine(r *packetReader) ([]byte, error) {
	scanned := 0
	for {
		buf := r.buf[r.start:r.end]
		// A long line may arrive whole in one read: the limit must not
		// depend on how TCP splits the stream.
		if len(buf) > maxPreambleLine {
			buf = buf[:maxPreambleLine]
		}
		if i := bytes.IndexByte(buf[scanned:], '\n'); i >= 0 {
			line := buf[:scanned+i]
			r.discard(scanned + i + 1)
			return bytes.TrimSuffix(line, []byte("\r")), nil
		}
		scanned = len(buf)
		if scanned >= maxPreambleLine {
			return nil, &ProtocolError{Reason: "line before the version line too long"}
		}
		if _, err := r.peek(scanned + 1); err != nil {
			return nil, err
		}
	}
}

// SoftwareVersion makes name usable in a version string: RFC 4253 allows
// no spaces or minus signs in softwareversion (Go pseudo-versions have
// minus signs), and only printable US-ASCII.
func SoftwareVersion(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return '.'
		case r < 0x21 || r > 0x7e:
			return -1
		}
		return r
	}, name)
}
