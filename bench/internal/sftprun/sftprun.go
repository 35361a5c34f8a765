// Package sftprun is the transfer both SFTP client programs make, through
// a github.com/pkg/sftp client over amiko (bench/amikosftp) or over
// x/crypto/ssh (bench/xsshsftp), so that only the connection differs.
package sftprun

import (
	"fmt"
	"os"

	"github.com/pkg/sftp"
)

// Run does what the command line asks, like OpenSSH's sftp in batch mode:
// "get PATH" copies the remote file to standard output, "put PATH" copies
// standard input to the remote file (created or truncated), "none" does
// nothing (the baseline: connecting and starting the subsystem).
func Run(c *sftp.Client, command string) error {
	var op, path string
	if _, err := fmt.Sscan(command, &op, &path); err != nil && op != "none" {
		return fmt.Errorf("sftp command %q: want get PATH, put PATH or none", command)
	}
	switch op {
	case "none":
		return nil
	case "get":
		f, err := c.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteTo(os.Stdout)
		return err
	case "put":
		f, err := c.Create(path)
		if err != nil {
			return err
		}
		if _, err := f.ReadFrom(os.Stdin); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return fmt.Errorf("sftp command %q: want get PATH, put PATH or none", command)
}
