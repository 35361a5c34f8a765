package sshtest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeTB records Fatal and Skip instead of ending the test. Like the
// real ones, they end the calling goroutine: run the code under test with
// runAsTest.
type fakeTB struct {
	testing.TB
	mu             sync.Mutex
	fatal, skipped bool
	msg            string
}

func (f *fakeTB) record(fatal bool, msg string) {
	f.mu.Lock()
	f.fatal, f.skipped = fatal, !fatal
	f.msg = msg
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any)                 { f.record(true, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.record(true, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Skip(args ...any)                  { f.record(false, fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any)  { f.record(false, fmt.Sprintf(format, args...)) }

// runAsTest runs f in a goroutine of its own, as the testing package runs
// a test, so that a Goexit from fakeTB ends only f.
func runAsTest(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRequire(t *testing.T) {
	for _, tc := range []struct {
		ci          string
		fatal, skip bool
	}{
		{"true", true, false},
		{"", false, true},
		{"false", false, true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			ft := &fakeTB{TB: t}
			runAsTest(func() { Require(ft, "/nonexistent/sshtest-peer") })
			if ft.fatal != tc.fatal || ft.skipped != tc.skip {
				t.Errorf("fatal %v, skipped %v; want %v, %v", ft.fatal, ft.skipped, tc.fatal, tc.skip)
			}
			if !contains(ft.msg, "/nonexistent/sshtest-peer") {
				t.Errorf("message %q does not name what is missing", ft.msg)
			}

			ft = &fakeTB{TB: t}
			runAsTest(func() { Require(ft, "sh") })
			if ft.fatal || ft.skipped {
				t.Errorf("sh is on PATH, but Require said: %s", ft.msg)
			}
		})
	}
}
