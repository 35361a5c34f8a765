// Command amikoclient is amiko's side of the benchmark: an ssh-like
// program built on the amiko library. It connects, runs one command with
// its standard input, output and error wired to the command's, and exits
// with the command's status; with -count it connects that many times
// running the command and reports the time of each connection and the CPU
// they took (see clientrun).
//
// It uses the library as a user would: Client.Connect with a key file and
// a known_hosts file, then Client.Command with os.Stdin and os.Stdout.
// With -no-io it runs the ceiling experiment instead (clientrun's
// NoIOStdin and NoIOStdout): the command's streams are not moved through
// the process's.
package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
	"github.com/amiko-ssh/amiko/bench/internal/dial"
)

func main() {
	f := clientrun.ParseFlags()
	defer f.StartProfile()()
	ctx := context.Background()
	if f.Count > 0 || f.Fanout > 0 {
		once := func() (func(), error) {
			c, err := dial.Amiko(ctx, f)
			if err != nil {
				return nil, err
			}
			cmd := c.Command(ctx, f.Command)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				c.Close()
				return nil, err
			}
			return func() { c.Close() }, nil
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

	c, err := dial.Amiko(ctx, f)
	if err != nil {
		clientrun.Fatal(err)
	}
	cmd := c.Command(ctx, f.Command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if f.NoIO {
		if cmd.Stdin, err = clientrun.NoIOStdin(); err != nil {
			clientrun.Fatal(err)
		}
		cmd.Stdout = clientrun.NoIOStdout()
	}
	err = cmd.Run()
	c.Close()
	var exit *amiko.ExitError
	switch {
	case errors.As(err, &exit) && exit.Status >= 0:
		os.Exit(exit.Status)
	case err != nil:
		clientrun.Fatal(err)
	}
}
