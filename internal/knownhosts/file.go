package knownhosts

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// File is one known_hosts file in memory. Every line is kept as it was
// read (comments, blank lines, markers, hashed names, lines OpenSSH
// cannot parse, line endings) so that saving never loses or rewrites
// anything; lines added since the file was read are kept apart and
// appended when it is saved.
//
// A File is safe for concurrent use: one File is meant to be shared by
// every connection of a program.
type File struct {
	saveMu sync.Mutex // held by Save, which takes mu only to read and update

	mu   sync.RWMutex
	path string
	// lines are the file's lines as last read (by Load or Save).
	lines []line
	// added are lines added since, in order; Save appends them.
	added []addedLine
}

// addedLine is a line added by Add, with what Save needs to recognise
// the same addition made meanwhile by another process.
type addedLine struct {
	line
	host string // as given to Add, lowercased (the name before hashing)
}

// Load reads the known_hosts file at path. A file that does not exist
// is an empty File that remembers its path, so that Add and Save create
// it (paramiko's load_system_host_keys, and ssh itself, treat a missing
// file as empty). A path that names a device such as /dev/null reads as
// empty too, and Save leaves it alone.
func Load(path string) (*File, error) {
	f := &File{path: path}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, fmt.Errorf("knownhosts: %w", err)
	case fi.IsDir():
		return nil, fmt.Errorf("knownhosts: %s is a directory", path)
	case !fi.Mode().IsRegular():
		return f, nil // /dev/null and the like: nothing to read
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("knownhosts: %w", err)
	}
	f.lines = splitLines(data)
	return f, nil
}

// Parse reads known_hosts data that has no file behind it: it can be
// looked up and added to, but not saved. Lines OpenSSH cannot use are
// kept verbatim and skipped for matching, as OpenSSH skips them, so no
// content makes Parse fail; the error result leaves room for limits.
// Parse keeps a copy of data.
func Parse(data []byte) (*File, error) {
	return &File{lines: splitLines(bytes.Clone(data))}, nil
}

// splitLines cuts data after each '\n' and parses every line.
func splitLines(data []byte) []line {
	var lines []line
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 {
			n = len(data)
		}
		raw := data[:n:n]
		lines = append(lines, line{raw: raw, entry: parseLine(raw)})
		data = data[n:]
	}
	return lines
}

// Path returns the path the File was loaded from ("" after Parse).
func (f *File) Path() string {
	return f.path
}

// Bytes returns the file as Save would write it if no other process had
// changed it: every line read, byte for byte, then the added lines.
func (f *File) Bytes() []byte {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var b []byte
	for _, l := range f.lines {
		b = append(b, l.raw...)
	}
	return appendAdded(b, f.added)
}

// appendAdded appends lines to b, first ending b's last line if it has
// no newline (so an added line never joins the line before it).
func appendAdded(b []byte, added []addedLine) []byte {
	if len(added) == 0 {
		return b
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	for _, a := range added {
		b = append(b, a.raw...)
	}
	return b
}
