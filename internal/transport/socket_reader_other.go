//go:build !unix

package transport

import (
	"io"
	"net"
)

// newSocketReader returns conn: raw socket reads are made on unix only,
// and elsewhere the packet reader keeps its buffer while it waits.
func newSocketReader(conn net.Conn) io.Reader { return conn }
