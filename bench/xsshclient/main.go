// Command xsshclient is golang.org/x/crypto/ssh's side of the benchmark:
// the same ssh-like program as amikoclient, built on x/crypto/ssh the way
// its documentation shows (ssh.Dial, NewSession, Run), with the session's
// standard streams set to the process's.
package main

import (
	"errors"
	"io"
	"os"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
	"github.com/amiko-ssh/amiko/bench/internal/dial"
)

func main() {
	f := clientrun.ParseFlags()
	defer f.StartProfile()()
	if f.Count > 0 || f.Fanout > 0 {
		once := func() (func(), error) {
			c, err := dial.XSSH(f)
			if err != nil {
				return nil, err
			}
			s, err := c.NewSession()
			if err == nil {
				s.Stdout = io.Discard
				err = s.Run(f.Command)
			}
			if err != nil {
				c.Close()
				return nil, err
			}
			return func() { s.Close(); c.Close() }, nil
		}
		var err error
		if f.Count > 0 {
			err = clientrun.Loop(f.Count, f.Report, once)
		} else {
			err = clientrun.Fanout(f.Fanout, f.Report, once)
		}
		if err != nil {
			clientrun.Fatal(err)
		}
		return
	}

	c, err := dial.XSSH(f)
	if err != nil {
		clientrun.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		clientrun.Fatal(err)
	}
	s.Stdin, s.Stdout, s.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = s.Run(f.Command)
	c.Close()
	var exit *ssh.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitStatus())
	case err != nil:
		clientrun.Fatal(err)
	}
}
