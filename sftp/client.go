package sftp

import (
	"context"
	"errors"
	"io"
	"sync"

	pkgsftp "github.com/pkg/sftp"

	"github.com/amiko-ssh/amiko"
)

// NewClient starts the "sftp" subsystem on a new session of c and returns
// a github.com/pkg/sftp client speaking over it.
//
// ctx bounds only the opening: the session channel, the subsystem request
// and SFTP's version exchange. Once NewClient has returned, the client
// lives until it is closed or c's connection ends.
//
// The client has amiko's throughput defaults (see the package
// documentation); opts are applied after them, so they override.
// Closing the client closes the session channel; c stays connected.
//
// A c that is nil or not connected gives amiko.ErrNotConnected; a server
// without an sftp subsystem, an *amiko.RequestError.
func NewClient(ctx context.Context, c *amiko.Client, opts ...pkgsftp.ClientOption) (*pkgsftp.Client, error) {
	if c == nil {
		return nil, amiko.ErrNotConnected
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sess, err := c.NewSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := sess.Subsystem(ctx, "sftp"); err != nil {
		sess.Close()
		return nil, err
	}
	p := newPipe(sess)

	// pkg/sftp's version exchange takes no context: ending ctx closes the
	// session, which unblocks it.
	stop := context.AfterFunc(ctx, func() { p.Close() })
	client, err := pkgsftp.NewClientPipe(p.stdout, p, append(defaultOptions(), opts...)...)
	if !stop() {
		// ctx ended while opening; whatever NewClientPipe made of that,
		// the session is gone.
		if err == nil {
			client.Close()
		}
		return nil, ctx.Err()
	}
	if err != nil {
		p.Close() // NewClientPipe closes it on most, not all, failures
		return nil, err
	}
	return client, nil
}

// pipe is the session as pkg/sftp's WriteCloser. pkg/sftp closes it when
// the client is closed and when its reader fails, so Close must be safe
// to call more than once; it ends the session channel, not only its
// input, and waits for the stderr drain so that Client.Close leaves no
// goroutine behind.
type pipe struct {
	sess    *amiko.Session
	stdin   io.WriteCloser
	stdout  io.Reader
	drained chan struct{}

	once sync.Once
	err  error
}

func newPipe(sess *amiko.Session) *pipe {
	p := &pipe{
		sess:    sess,
		stdin:   sess.Stdin(),
		stdout:  sess.Stdout(),
		drained: make(chan struct{}),
	}
	// Stdout and stderr share the channel's window: stderr that nobody
	// reads (sftp-server's log with -e, a login script's complaints)
	// would in time stall the transfer. SFTP has no use for it.
	go func() {
		defer close(p.drained)
		io.Copy(io.Discard, sess.Stderr())
	}()
	return p
}

func (p *pipe) Write(b []byte) (int, error) { return p.stdin.Write(b) }

// Close sends EOF, so the server sees an orderly end, then closes the
// channel, which ends the reads blocked on it.
func (p *pipe) Close() error {
	p.once.Do(func() {
		p.err = errors.Join(p.stdin.Close(), p.sess.Close())
		<-p.drained
	})
	return p.err
}
