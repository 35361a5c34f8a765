package cgroup

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// The reasons a process has no cgroup v2 directory, as opposed to failing
// to read /proc. They carry no package prefix because bench prints them
// as they are, after its own "no cgroup v2 here".
var (
	errNoMembership = errors.New("no cgroup v2 membership")
	errNotMounted   = errors.New("cgroup2 is not mounted")
)

// OwnDir returns this process's cgroup v2 directory: its path from
// /proc/self/cgroup ("0::/path") joined to the cgroup2 mount point.
// The path in /proc/self/cgroup is relative to the hierarchy's root, which
// is wherever cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified
// on hybrid systems), so it is not a file name until joined.
func OwnDir() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var rel string
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		// A v2 membership has hierarchy ID 0 and no controller list; the
		// other lines are cgroup v1 hierarchies, which are no use here.
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			rel, found = p, true
		}
	}
	if !found {
		return "", errNoMembership
	}
	mount, err := Mount()
	if err != nil {
		return "", err
	}
	return filepath.Join(mount, rel), nil
}

// Mount returns where the cgroup2 file system is mounted, the first such
// mount in /proc/self/mountinfo. A line there reads
// "id parent major:minor root mountpoint options [optional...] - fstype source superoptions":
// the optional fields vary in number, so the file system type is found
// after the " - " separator and the mount point counted from the start.
func Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		if fields := strings.Fields(pre); len(fields) >= 5 {
			return fields[4], nil
		}
	}
	return "", errNotMounted
}
