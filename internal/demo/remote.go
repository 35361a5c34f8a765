package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/amiko-ssh/amiko"
	amikosftp "github.com/amiko-ssh/amiko/sftp"
)

// Steps 6 and 7: what people connect for.

// sftpSize is the size of the file sent up and down: a few MiB, enough
// for many SFTP requests in flight, quick on any machine.
const sftpSize = 4 << 20

// connect returns a client connected with the authorized key file.
func (d *demo) connect(ctx context.Context) (*amiko.Client, error) {
	c, err := d.knownClient()
	if err != nil {
		return nil, err
	}
	opts := d.options()
	opts.KeyFilenames = []string{d.keyFile}
	if err := c.Connect(ctx, "127.0.0.1", opts); err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	return c, nil
}

// command is step 6: a remote command's output and its non-zero exit
// status, as an *amiko.ExitError.
func (d *demo) command(ctx context.Context) error {
	c, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	const line = "echo hello; exit 3"
	var stdout, stderr bytes.Buffer
	cmd := c.Command(ctx, line)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *amiko.ExitError
	switch {
	case err == nil:
		return errors.New("Run returned nil for exit status 3")
	case !errors.As(err, &ee):
		return fmt.Errorf("want an *amiko.ExitError, got %w", err)
	}
	d.note("Command(ctx, %q).Run(): *amiko.ExitError{Status: %d}: %v", line, ee.Status, ee)
	d.note("stdout %q, stderr %q", stdout.String(), stderr.String())
	if ee.Status != 3 || stdout.String() != "hello\n" || stderr.Len() != 0 {
		return errors.New(`want status 3, stdout "hello\n" and no stderr`)
	}
	return nil
}

// sftp is step 7: random data up to the server and back down over SFTP
// (github.com/pkg/sftp through amiko's sftp package), compared by
// SHA-256 with what was sent and with the file the server wrote.
func (d *demo) sftp(ctx context.Context) error {
	c, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	sc, err := amikosftp.NewClient(ctx, c)
	if err != nil {
		return fmt.Errorf("sftp.NewClient: %w", err)
	}
	defer sc.Close()

	data := make([]byte, sftpSize)
	rand.Read(data)
	want := sha256.Sum256(data)
	path := filepath.Join(d.dir, "upload.bin")

	start := time.Now()
	f, err := sc.Create(path)
	if err != nil {
		return fmt.Errorf("creating the remote file: %w", err)
	}
	_, err = f.ReadFrom(bytes.NewReader(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	d.note("uploaded %d MiB of random data to %s in %v, sha256 %x", sftpSize>>20, filepath.Base(path), since(start), want)

	onDisk, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if got := sha256.Sum256(onDisk); got != want {
		return fmt.Errorf("the server's copy (%d bytes) has sha256 %x", len(onDisk), got)
	}
	d.note("the server's copy matches")

	start = time.Now()
	f, err = sc.Open(path)
	if err != nil {
		return fmt.Errorf("opening the remote file: %w", err)
	}
	h := sha256.New()
	n, err := f.WriteTo(h)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	var got [sha256.Size]byte
	h.Sum(got[:0])
	d.note("downloaded it back in %v, sha256 %x", since(start), got)
	if n != sftpSize || got != want {
		return fmt.Errorf("downloaded %d bytes that do not match what was sent", n)
	}
	return nil
}

func since(t time.Time) time.Duration {
	return time.Since(t).Round(time.Millisecond)
}
