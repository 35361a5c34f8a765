package knownhosts

import (
	"io/fs"
	"os"
	"path/filepath"
)

// writeData writes data to the temporary file. Tests replace it to fail
// or stop midway.
var writeData = func(f *os.File, data []byte) error {
	_, err := f.Write(data)
	return err
}

// replaceFile atomically replaces target with data: a temporary file in
// the same directory is written, given old's mode (and owner, where we
// may set it), synced, and renamed over target; then the directory is
// synced so the rename itself is durable. On any failure the temporary
// file is removed and target is untouched.
func replaceFile(target string, data []byte, old fs.FileInfo) (err error) {
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = writeData(tmp, data); err != nil {
		return err
	}
	if err = tmp.Chmod(old.Mode().Perm()); err != nil {
		return err
	}
	keepOwner(tmp, old)
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir flushes a directory, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isUnsupported(err) {
		return err
	}
	return nil
}
