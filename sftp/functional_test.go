package sftp_test

import (
	"errors"
	"io"
	"os"
	"path"
	"slices"
	"testing"

	pkgsftp "github.com/pkg/sftp"
)

// TestFileOperations checks the everyday calls against sftp-server:
// mkdir, create and write, stat, listing, rename, remove, and that a
// missing file is os.ErrNotExist.
func TestFileOperations(t *testing.T) {
	s := startServer(t)
	checkNoLeak(t)
	sc := openSFTP(t, connect(t, s))
	dir := path.Join(s.Dir, "work")

	if err := sc.Mkdir(dir); err != nil {
		t.Fatal(err)
	}
	if st, err := sc.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("stat %s: %v, %v", dir, st, err)
	}
	if err := sc.Mkdir(dir); err == nil {
		t.Error("second mkdir of the same directory succeeded")
	}

	const content = "hello, sftp\n"
	for _, name := range []string{"a", "b", "c"} {
		f, err := sc.Create(path.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, name+content); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sc.Stat(path.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != int64(len("a"+content)) || !st.Mode().IsRegular() {
		t.Errorf("stat a: size %d, mode %v", st.Size(), st.Mode())
	}

	if err := sc.Rename(path.Join(dir, "a"), path.Join(dir, "renamed")); err != nil {
		t.Fatal(err)
	}
	if got := readRemote(t, sc, path.Join(dir, "renamed")); got != "a"+content {
		t.Errorf("renamed file holds %q", got)
	}
	if err := sc.Remove(path.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}

	entries, err := sc.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if want := []string{"c", "renamed"}; !slices.Equal(names, want) {
		t.Errorf("listing %v, want %v", names, want)
	}

	for _, name := range []string{"a", "b"} {
		if _, err := sc.Stat(path.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat of the gone %s: %v, want os.ErrNotExist", name, err)
		}
		if _, err := sc.Open(path.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("open of the gone %s: %v, want os.ErrNotExist", name, err)
		}
	}

	// A directory with something in it cannot be removed; empty, it can.
	if err := sc.RemoveDirectory(dir); err == nil {
		t.Error("removed a directory that is not empty")
	}
	for _, name := range []string{"c", "renamed"} {
		if err := sc.Remove(path.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.RemoveDirectory(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of the removed directory: %v, want os.ErrNotExist", err)
	}
	// The checks above went through the server; the disk agrees.
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the directory is still on disk: %v", err)
	}
}

// readRemote returns the content of a remote file.
func readRemote(t *testing.T, sc *pkgsftp.Client, name string) string {
	t.Helper()
	f, err := sc.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
