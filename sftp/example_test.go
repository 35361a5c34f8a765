package sftp_test

import (
	"context"
	"io"
	"log"
	"os"
	"time"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/sftp"
)

// Upload a file: connect, start SFTP on the connection, copy. io.Copy
// into an *sftp.File (from github.com/pkg/sftp) takes its concurrent
// write path.
func ExampleNewClient() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := amiko.Dial(ctx, "build.example.com", &amiko.ConnectOptions{Username: "deploy"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sc, err := sftp.NewClient(ctx, c)
	if err != nil {
		log.Fatal(err)
	}
	defer sc.Close()

	local, err := os.Open("release.tar.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	remote, err := sc.Create("/srv/releases/release.tar.gz")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(remote, local); err != nil {
		log.Fatal(err)
	}
	if err := remote.Close(); err != nil {
		log.Fatal(err)
	}
}
