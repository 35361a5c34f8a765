//go:build !unix

package main

import (
	"errors"

	"github.com/amiko-ssh/amiko"
)

// watchWindowSize does nothing where there is no SIGWINCH.
func watchWindowSize(int, *amiko.Session) func() { return func() {} }

// suspendSelf cannot stop a process where there is no SIGTSTP.
func suspendSelf() error { return errors.New("suspending is not supported on this system") }
