package knownhosts

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Save writes the lines added since the file was read to its path,
// without losing anything another writer put there meanwhile:
//
//   - under an exclusive lock (flock on the file; other amiko processes
//     and goroutines holding other Files of the same path wait), the file
//     is read again; lines another process appended, and any other edit
//     made since Load (ssh-keygen -R, an editor), are kept as they are
//     now on disk, and our added lines are appended after them, except
//     those another writer already added for the same host and key;
//   - the result is written to a temporary file beside the real one,
//     flushed to disk (fsync), and renamed over it, and the directory is
//     flushed: a crash or kill at any moment leaves either the old file
//     or the new one, never a shortened or half-written one. (OpenSSH
//     appends instead; an append interrupted midway leaves a partial
//     last line, which is why Save does not.)
//   - a symbolic link is followed: the file it points to is replaced and
//     the link kept. The file keeps its permissions (and, when run as
//     root, its owner); a new file is made with mode 0600, in a directory
//     made with mode 0700 if missing (as ssh creates ~/.ssh).
//   - a path that is not a regular file, such as /dev/null
//     (UserKnownHostsFile=/dev/null), is left alone: Save succeeds and
//     writes nothing, as writing to /dev/null would.
//
// A hard-linked known_hosts file loses the link to its other names, as
// with OpenSSH's ssh-keygen -R, which also renames.
//
// After Save the File holds what is on disk, including other writers'
// lines. Save without added lines does nothing.
func (f *File) Save() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.added) == 0 {
		return nil
	}
	if f.path == "" {
		return errors.New("knownhosts: Save of data that was not loaded from a file")
	}
	target, err := resolveLinks(f.path)
	if err != nil {
		return fmt.Errorf("knownhosts: %w", err)
	}
	if err := ensureDir(filepath.Dir(target)); err != nil {
		return fmt.Errorf("knownhosts: %w", err)
	}
	locked, fi, err := openLocked(target)
	if err != nil {
		return fmt.Errorf("knownhosts: %w", err)
	}
	if locked == nil {
		// Not a regular file (/dev/null): keep the additions in memory
		// only, as if written to a sink.
		f.lines = append(f.lines, lineSlice(f.added)...)
		f.added = nil
		return nil
	}
	defer locked.Close() // releases the lock, after the rename

	current, err := io.ReadAll(locked)
	if err != nil {
		return fmt.Errorf("knownhosts: reading %s: %w", target, err)
	}
	disk := &File{path: f.path, lines: splitLines(current)}
	var todo []addedLine
	for _, a := range f.added {
		if !disk.hasKeyLocked(a.host, a.entry.wire) {
			todo = append(todo, a)
		}
	}
	data := appendAdded(current, todo)
	if len(todo) > 0 {
		if err := replaceFile(target, data, fi); err != nil {
			return fmt.Errorf("knownhosts: %w", err)
		}
	}
	f.lines = splitLines(data)
	f.added = nil
	return nil
}

func lineSlice(added []addedLine) []line {
	ls := make([]line, len(added))
	for i, a := range added {
		ls[i] = a.line
	}
	return ls
}

// resolveLinks follows symbolic links from path to the file they end
// at, which need not exist yet (a link to a file not yet created).
func resolveLinks(path string) (string, error) {
	for range 64 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// ensureDir makes dir, mode 0700, if it does not exist.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.MkdirAll(dir, 0o700)
}

// openLocked opens target, creating it (empty, mode 0600) if missing,
// and takes an exclusive lock on it. Because Save replaces the file by
// renaming, the locked file may have been replaced while we waited for
// the lock; then it is opened again, so that the lock is always held on
// the file the path names. It returns a nil file for a path that is not
// a regular file.
func openLocked(target string) (*lockedFile, fs.FileInfo, error) {
	for range 1000 {
		fh, err := os.OpenFile(target, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			if fi, serr := os.Stat(target); serr == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
				return nil, fi, nil // a device we may not open, say
			}
			return nil, nil, err
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, nil, err
		}
		if !fi.Mode().IsRegular() {
			fh.Close()
			return nil, fi, nil
		}
		unlock, err := lockFile(fh)
		if err != nil {
			fh.Close()
			return nil, nil, fmt.Errorf("locking %s: %w", target, err)
		}
		now, err := os.Stat(target)
		if err == nil && os.SameFile(fi, now) {
			return &lockedFile{File: fh, unlock: unlock}, now, nil
		}
		unlock()
		fh.Close() // replaced (or removed) while we waited: again
	}
	return nil, nil, fmt.Errorf("%s keeps being replaced; gave up locking it", target)
}

// lockedFile is an open file we hold the lock of.
type lockedFile struct {
	*os.File
	unlock func()
}

// Close releases the lock and closes the file.
func (l *lockedFile) Close() error {
	l.unlock()
	return l.File.Close()
}
