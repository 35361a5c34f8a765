package knownhosts

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
//     appends instead, which is cheaper, but an append that fails
//     midway, on a full disk say, leaves a partial last line.)
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
// lines. Save without added lines does nothing. Lookups and additions
// may go on while Save writes.
func (f *File) Save() error {
	// One Save of a File at a time; lookups and additions go on while it
	// writes (a fan-out may add a host while another one is saved).
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	f.mu.RLock()
	pending := slices.Clone(f.added)
	f.mu.RUnlock()
	if len(pending) == 0 {
		return nil
	}
	if f.path == "" {
		return errors.New("knownhosts: Save of data that was not loaded from a file")
	}
	lines, sink, err := write(f.path, pending)
	if err != nil {
		return fmt.Errorf("knownhosts: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if sink {
		// Not a regular file (/dev/null): keep the additions in memory
		// only, as if written to a sink.
		lines = append(f.lines, lineSlice(pending)...)
	}
	f.lines = lines
	// Add only appends, so the lines saved are the first ones.
	f.added = slices.Clone(f.added[len(pending):])
	return nil
}

// write appends the pending lines to the file at path, as Save says, and
// returns the file's new lines, or sink set for a path that is not a
// regular file.
func write(path string, pending []addedLine) (lines []line, sink bool, err error) {
	target, err := resolveLinks(path)
	if err != nil {
		return nil, false, err
	}
	if err := ensureDir(filepath.Dir(target)); err != nil {
		return nil, false, err
	}
	locked, fi, err := openLocked(target)
	if err != nil || locked == nil {
		return nil, err == nil, err
	}
	defer locked.Close() // releases the lock, after the rename

	current, err := io.ReadAll(locked)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", target, err)
	}
	disk := &File{lines: splitLines(current)}
	var todo []addedLine
	for _, a := range pending {
		if !disk.hasKeyLocked(a.host, a.entry.wire) {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		return disk.lines, false, nil
	}
	data := appendAdded(current, todo)
	if err := replaceFile(target, data, fi); err != nil {
		return nil, false, err
	}
	return splitLines(data), false, nil
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
