//go:build unix

package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// socketReader reads a socket through its raw file descriptor, so that
// the packet reader learns when a read would wait and can let its buffer
// go first (idleReader). Waiting is the netpoller's, as for net.Conn's
// Read, with the connection's read deadline.
type socketReader struct {
	net.Conn
	raw syscall.RawConn

	// The raw read's callback, made once so that a read allocates
	// nothing, and what it reads to and returns.
	readFn func(fd uintptr) bool
	target readTarget
	n      int
	err    error
}

// newSocketReader returns a socketReader for conn, or conn itself where
// it is not a socket that gives its raw descriptor (a pipe to a proxy
// command, a net.Pipe, a TLS stream).
func newSocketReader(conn net.Conn) io.Reader {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return conn
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	r := &socketReader{Conn: conn, raw: raw}
	r.readFn = r.tryRead
	return r
}

// readInto reads once into t. The attempt, the call to t.idle and the
// wait are in one raw read: the netpoller's readiness is reset when a
// raw read starts, so bytes arriving between a separate attempt and wait
// would be waited for in vain.
func (r *socketReader) readInto(t readTarget) (int, error) {
	r.target = t
	err := r.raw.Read(r.readFn)
	n, rerr := r.n, r.err
	r.target, r.n, r.err = nil, 0, nil
	switch {
	case err != nil: // closed, or past the read deadline
		return 0, r.opError(err)
	case rerr != nil:
		return 0, r.opError(os.NewSyscallError("read", rerr))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// tryRead is the raw read's callback: false means wait until readable
// and call again.
func (r *socketReader) tryRead(fd uintptr) bool {
	buf := r.target.free()
	for {
		n, err := syscall.Read(int(fd), buf)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			r.target.idle()
			return false
		}
		r.n, r.err = max(n, 0), err
		return true
	}
}

// opError dresses err as net.Conn's Read does, so that callers see the
// same errors from either reader: a *net.OpError that is a timeout after
// the read deadline, or wraps net.ErrClosed after Close.
func (r *socketReader) opError(err error) error {
	if op, ok := errors.AsType[*net.OpError](err); ok {
		err = op.Err // the raw read's, named "raw-read"
	}
	return &net.OpError{Op: "read", Net: r.LocalAddr().Network(), Source: r.LocalAddr(), Addr: r.RemoteAddr(), Err: err}
}
