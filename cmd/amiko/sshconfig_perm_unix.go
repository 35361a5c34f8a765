//go:build unix

package main

import (
	"os"
	"syscall"
)

// ownedByUserOrRoot reports whether fi's owner is root or the user
// running amiko.
func ownedByUserOrRoot(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Uid == 0 || int(st.Uid) == os.Getuid()
}
