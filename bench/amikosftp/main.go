// Command amikosftp is amiko's SFTP client in the benchmark: the
// github.com/pkg/sftp client over an amiko connection, as
// github.com/amiko-ssh/amiko/sftp.NewClient makes it (with that package's
// defaults). Its command is "get PATH", "put PATH" or "none" (see
// sftprun). It is a program of its own so that the benchmark builds
// without it while the sftp package is missing.
package main

import (
	"context"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
	"github.com/amiko-ssh/amiko/bench/internal/dial"
	"github.com/amiko-ssh/amiko/bench/internal/sftprun"
	"github.com/amiko-ssh/amiko/sftp"
)

func main() {
	f := clientrun.ParseFlags()
	defer f.StartProfile()()
	ctx := context.Background()
	c, err := dial.Amiko(ctx, f)
	if err != nil {
		clientrun.Fatal(err)
	}
	defer c.Close()
	s, err := sftp.NewClient(ctx, c)
	if err != nil {
		clientrun.Fatal(err)
	}
	defer s.Close()
	if err := sftprun.Run(s, f.Command); err != nil {
		clientrun.Fatal(err)
	}
}
