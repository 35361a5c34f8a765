//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package knownhosts

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f, waiting for it; closing f
// releases it (unlock has nothing left to do). flock locks belong to the
// open file, so two Files of one path in one process exclude each other
// as two processes do.
func lockFile(f *os.File) (unlock func(), err error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return func() {}, err
		}
	}
}

// keepOwner gives tmp old's owner and group when they differ from ours
// (root saving another user's file), so the replacement stays theirs.
// It is best effort: unprivileged, the chown fails and the file is ours,
// which it already was.
func keepOwner(tmp *os.File, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	if int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid() {
		_ = tmp.Chown(int(st.Uid), int(st.Gid))
	}
}

// isUnsupported reports an fsync refused by the file system (some do
// not sync directories).
func isUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
