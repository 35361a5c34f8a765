// Package leaktest checks that a test leaves no goroutine behind: every
// blocked call must return and every helper goroutine end once what it
// served is closed.
package leaktest

import (
	"runtime"
	"testing"
	"time"
)

// Check fails t if, once t's later cleanups have run, more goroutines are
// running than when Check was called, after a grace period of up to five
// seconds for them to unwind. Call it before starting what the test
// closes in its cleanups (servers, proxies), so that those have ended by
// the time it counts.
func Check(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var n int
		for range 250 {
			if n = runtime.NumGoroutine(); n <= before {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before the test, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	})
}
