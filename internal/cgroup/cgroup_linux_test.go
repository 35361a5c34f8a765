package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// cgroup2SuperMagic is CGROUP2_SUPER_MAGIC from linux/magic.h, the f_type
// statfs reports for a cgroup2 file system. The syscall package lacks it.
const cgroup2SuperMagic = 0x63677270

// TestOwnDir checks OwnDir against the kernel rather than against the
// parsing it does: the directory must be on a cgroup2 file system, below
// Mount, and the kernel must list this process in its cgroup.procs.
func TestOwnDir(t *testing.T) {
	dir, err := OwnDir()
	if errors.Is(err, errNoMembership) || errors.Is(err, errNotMounted) {
		t.Skipf("no cgroup v2 here: %v", err)
	}
	if err != nil {
		t.Fatalf("OwnDir: %v", err)
	}
	mount, err := Mount()
	if err != nil {
		t.Fatalf("OwnDir succeeded but Mount failed: %v", err)
	}

	rel, err := filepath.Rel(mount, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		t.Errorf("OwnDir() = %q, not under the cgroup2 mount %q", dir, mount)
	}
	for _, p := range []string{mount, dir} {
		var st syscall.Statfs_t
		if err := syscall.Statfs(p, &st); err != nil {
			t.Fatalf("statfs %s: %v", p, err)
		}
		if st.Type != cgroup2SuperMagic {
			t.Errorf("%s is on file system type %#x, not cgroup2 (%#x)", p, st.Type, cgroup2SuperMagic)
		}
	}

	// cgroup.procs lists the thread group IDs, that is the PIDs, of the
	// processes in this very cgroup, not in those below it.
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatalf("OwnDir() = %q: %v", dir, err)
	}
	self := strconv.Itoa(os.Getpid())
	for _, pid := range strings.Fields(string(b)) {
		if pid == self {
			return
		}
	}
	t.Errorf("%s/cgroup.procs does not list this process (pid %s)", dir, self)
}
