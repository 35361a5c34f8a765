//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package knownhosts

import (
	"io/fs"
	"os"
	"sync"
)

// saveMu stands in for flock where it is unavailable: saves in one
// process exclude each other; other processes are not excluded.
var saveMu sync.Mutex

func lockFile(*os.File) (unlock func(), err error) {
	saveMu.Lock()
	return saveMu.Unlock, nil
}

func keepOwner(*os.File, fs.FileInfo) {}

func isUnsupported(error) bool { return true }
