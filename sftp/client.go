package sftp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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

	// Neither the hello nor pkg/sftp's version exchange takes a context:
	// ending ctx closes the session, which unblocks them.
	stop := context.AfterFunc(ctx, func() { p.Close() })
	var client *pkgsftp.Client
	version, limits, err := hello(p)
	if err == nil {
		// pkg/sftp gets the server's VERSION again in answer to its own
		// INIT, which goes nowhere.
		p.replay(version)
		client, err = pkgsftp.NewClientPipe(p, p, append(defaultOptions(limits), opts...)...)
	}
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

// pipe is the session as pkg/sftp's reader and WriteCloser. pkg/sftp
// closes it when the client is closed and when its reader fails, so
// Close must be safe to call more than once; it ends the session
// channel, not only its input, and waits for the stderr drain so that
// Client.Close leaves no goroutine behind.
type pipe struct {
	stdin        io.WriteCloser
	stdout       io.Reader
	closeSession func() error
	drained      chan struct{}

	// After the hello, pending holds the server's VERSION for pkg/sftp
	// to read, and swallow is what is left of pkg/sftp's INIT to drop
	// (-1 until its length is known, from initHdr). Only pkg/sftp's
	// reader and its writes, which it serializes, touch them.
	pending []byte
	swallow int
	initHdr []byte

	once sync.Once
	err  error
}

func newPipe(sess *amiko.Session) *pipe {
	p := &pipe{
		stdin:        sess.Stdin(),
		stdout:       sess.Stdout(),
		closeSession: sess.Close,
		drained:      make(chan struct{}),
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

// replay makes the next reads return version, and the next packet
// written, pkg/sftp's INIT, go nowhere.
func (p *pipe) replay(version []byte) {
	p.pending = version
	p.swallow = -1
}

func (p *pipe) Read(b []byte) (int, error) {
	if len(p.pending) > 0 {
		n := copy(b, p.pending)
		p.pending = p.pending[n:]
		return n, nil
	}
	return p.stdout.Read(b)
}

func (p *pipe) Write(b []byte) (int, error) {
	if p.swallow != 0 {
		return p.dropInit(b)
	}
	return p.stdin.Write(b)
}

// dropInit consumes pkg/sftp's INIT packet, which may come in pieces,
// and passes on whatever follows it.
func (p *pipe) dropInit(b []byte) (int, error) {
	n := len(b)
	if p.swallow < 0 {
		take := min(5-len(p.initHdr), len(b)) // length and type
		p.initHdr = append(p.initHdr, b[:take]...)
		b = b[take:]
		if len(p.initHdr) < 5 {
			return n, nil
		}
		length := binary.BigEndian.Uint32(p.initHdr)
		if p.initHdr[4] != fxpInit || length < 5 {
			return 0, fmt.Errorf("sftp: pkg/sftp began with message %d of %d bytes, not INIT", p.initHdr[4], length)
		}
		p.swallow = int(length) - 1
		p.initHdr = nil
	}
	skip := min(p.swallow, len(b))
	p.swallow -= skip
	if rest := b[skip:]; len(rest) > 0 {
		if _, err := p.stdin.Write(rest); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Close sends EOF, so the server sees an orderly end, then closes the
// channel, which ends the reads blocked on it.
func (p *pipe) Close() error {
	p.once.Do(func() {
		p.err = errors.Join(p.stdin.Close(), p.closeSession())
		<-p.drained
	})
	return p.err
}
