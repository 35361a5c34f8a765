//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/amiko-ssh/amiko"
)

// watchWindowSize passes the terminal's new size to the session on each
// SIGWINCH, until the returned function is called.
func watchWindowSize(fd int, s *amiko.Session) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-sig:
				if w, h, err := term.GetSize(fd); err == nil {
					s.WindowChange(w, h, 0, 0)
				}
			}
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
		<-finished
	}
}

// suspendSelf stops amiko as the terminal's ^Z would, returning once it
// is continued (fg). The terminal is in raw mode, so ^Z reaches the
// escape filter as a byte rather than as SIGTSTP.
func suspendSelf() error { return syscall.Kill(os.Getpid(), syscall.SIGTSTP) }
