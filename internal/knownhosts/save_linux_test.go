//go:build linux

package knownhosts

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSaveCharDevice saves to a character device: first one made for the
// test (as root), then /dev/null itself. Run as root, a rename would
// replace /dev/null with a regular file; Save must write nothing.
func TestSaveCharDevice(t *testing.T) {
	check := func(path string) {
		t.Helper()
		before, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		f := mustLoad(t, path)
		if err := f.Add("h.example", parseAuthorized(t, edKey), true); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(); err != nil {
			t.Fatalf("Save to %s: %v", path, err)
		}
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if after.Mode()&fs.ModeCharDevice == 0 || !os.SameFile(before, after) || after.Mode() != before.Mode() {
			t.Fatalf("%s changed: %v -> %v", path, before.Mode(), after.Mode())
		}
		// Still known in memory.
		if err := Check("h.example", parseAuthorized(t, edKey), f); err != nil {
			t.Errorf("after Save to %s: %v", path, err)
		}
	}

	dir := t.TempDir()
	if os.Geteuid() == 0 {
		dev := filepath.Join(dir, "null")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Fatalf("mknod: %v", err)
		}
		check(dev)
		link := filepath.Join(dir, "link")
		if err := os.Symlink(dev, link); err != nil {
			t.Fatal(err)
		}
		check(link)
	}
	if t.Failed() {
		return // do not go near /dev/null
	}
	check("/dev/null")
}
