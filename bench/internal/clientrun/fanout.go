package clientrun

import (
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FanoutReport is what Fanout measured: n connections at once, each
// running the command, then left idle.
type FanoutReport struct {
	N      int   `json:"n"`
	Failed int   `json:"failed"`
	WallNS int64 `json:"wall_ns"` // from the first dial to the last exit status
	// PeakRSSKB is the process's maximum resident set (getrusage).
	PeakRSSKB int64 `json:"peak_rss_kb"`
	// BaseRSSKB and IdleRSSKB are the resident set after a garbage
	// collection that returns freed memory to the kernel: before any
	// connection, and with all of them connected and idle.
	BaseRSSKB int64 `json:"base_rss_kb"`
	IdleRSSKB int64 `json:"idle_rss_kb"`
	// BaseGoroutines and IdleGoroutines are counted at the same times.
	BaseGoroutines int    `json:"base_goroutines"`
	IdleGoroutines int    `json:"idle_goroutines"`
	FirstError     string `json:"first_error,omitempty"`
}

// Fanout runs once n times at once, each connecting and running the
// command to its exit status and leaving its connection open; measures
// what the idle connections hold; then closes them. It writes the
// FanoutReport to path.
func Fanout(n int, path string, once func() (close func(), err error)) error {
	var r FanoutReport
	r.N = n
	// One connection first, closed before the baseline: the code it runs
	// is paged in then, and the runtime has its first threads, so that
	// what a thousand connections add is theirs alone.
	if c, err := once(); err == nil {
		c()
	}
	r.BaseRSSKB, r.BaseGoroutines = settled()

	closers := make([]func(), n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			c, err := once()
			if err != nil {
				mu.Lock()
				r.Failed++
				if r.FirstError == "" {
					r.FirstError = err.Error()
				}
				mu.Unlock()
				return
			}
			closers[i] = c
		})
	}
	wg.Wait()
	r.WallNS = time.Since(start).Nanoseconds()
	r.IdleRSSKB, r.IdleGoroutines = settled()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	r.PeakRSSKB = int64(ru.Maxrss) // kilobytes on Linux (int32 on 386)

	for _, c := range closers {
		if c != nil {
			c()
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// settled collects garbage, returns freed memory to the kernel, lets
// goroutines that are on their way out finish, and reads the resident set
// and the goroutine count.
func settled() (rssKB int64, goroutines int) {
	for range 3 {
		runtime.GC()
		debug.FreeOSMemory()
		time.Sleep(100 * time.Millisecond)
	}
	return residentKB(), runtime.NumGoroutine()
}

// residentKB reads VmRSS from /proc/self/status.
func residentKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
