//go:build !unix

package main

import "github.com/amiko-ssh/amiko"

// watchWindowSize does nothing where there is no SIGWINCH.
func watchWindowSize(int, *amiko.Session) func() { return func() {} }
