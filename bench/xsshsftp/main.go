// Command xsshsftp is the github.com/pkg/sftp client over
// golang.org/x/crypto/ssh, with pkg/sftp's defaults, as its documentation
// shows it (sftp.NewClient on an ssh.Client). Its command is "get PATH",
// "put PATH" or "none" (see sftprun).
package main

import (
	"github.com/pkg/sftp"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
	"github.com/amiko-ssh/amiko/bench/internal/dial"
	"github.com/amiko-ssh/amiko/bench/internal/sftprun"
)

func main() {
	f := clientrun.ParseFlags()
	defer f.StartProfile()()
	c, err := dial.XSSH(f)
	if err != nil {
		clientrun.Fatal(err)
	}
	defer c.Close()
	s, err := sftp.NewClient(c)
	if err != nil {
		clientrun.Fatal(err)
	}
	defer s.Close()
	if err := sftprun.Run(s, f.Command); err != nil {
		clientrun.Fatal(err)
	}
}
