// SOCKS, for dynamic forwarding (-D): the CONNECT request of SOCKS4,
// SOCKS4a (SOCKS4 with a host name for the proxy to resolve) and SOCKS5
// (RFC 1928, with the "no authentication" method only), read from a
// local client and answered once the server has opened the direct-tcpip
// channel, or refused it.
//
// It is written here rather than imported: golang.org/x/net/proxy, the
// SOCKS package the Go project keeps, is a client only, and a server
// package would bring its own listener, dialing and copying, all of which
// -D must do its own way (a channel through the server, the forwards'
// bookkeeping so that stop closes everything, OpenSSH's bind rules). What
// is left is two small request formats and two reply formats.
//
// A client is never trusted: the request must come within
// socksHandshakeTimeout, every length is bounded (SOCKS5's by its
// one-byte fields, SOCKS4's NUL-terminated strings by socksMaxName), and
// a request that cannot be served gets the protocol's reply for it
// (SOCKS5: command or address type not supported, general failure; SOCKS4:
// rejected) and the connection is closed.
//
// One difference from OpenSSH's ssh, on purpose: ssh answers "granted"
// as soon as it has read a request, before the server has opened the
// channel, and closes the connection without a reply when the open fails
// or the request is one it does not serve. amiko answers after the
// server has, so that the client is told why: a refused connection
// (SOCKS5 0x05, for the server's "connect failed"), one the server does
// not allow (0x02, "administratively prohibited"), or a general failure
// (0x01).

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amiko-ssh/amiko"
)

// socksHandshakeTimeout bounds reading a client's request; a variable for
// the tests.
var socksHandshakeTimeout = 10 * time.Second

// socksMaxName bounds a SOCKS4 user ID and a SOCKS4a host name, which
// have no length field: 255, as SOCKS5's one-byte length allows.
const socksMaxName = 255

// SOCKS4 and SOCKS5 share the CONNECT command's number.
const socksCmdConnect = 0x01

// SOCKS5's methods, address types and reply codes (RFC 1928), and
// SOCKS4's two reply codes.
const (
	socks5NoAuth       = 0x00 // "no authentication required"
	socks5NoAcceptable = 0xff // "no acceptable methods"

	socks5AddrIPv4   = 0x01
	socks5AddrDomain = 0x03
	socks5AddrIPv6   = 0x04

	socks5Succeeded      = 0x00
	socks5GeneralFailure = 0x01
	socks5NotAllowed     = 0x02 // "connection not allowed by ruleset"
	socks5Refused        = 0x05
	socks5BadCommand     = 0x07
	socks5BadAddressType = 0x08

	socks4Granted  = 0x5a
	socks4Rejected = 0x5b
)

// Reasons for an SSH channel open failure (RFC 4254 section 5.1).
const (
	sshOpenProhibited    = 1
	sshOpenConnectFailed = 2
)

// socksRequest is a client's CONNECT request.
type socksRequest struct {
	version byte   // 4 (SOCKS4 and SOCKS4a) or 5
	host    string // an IP address, or a name for the server to resolve
	port    uint16
}

// target is the request's host and port as Dial takes them.
func (r *socksRequest) target() string {
	return net.JoinHostPort(r.host, strconv.Itoa(int(r.port)))
}

// socksError is a request amiko does not serve. version says which reply
// to send, 4 or 5, or 0 for none: the client speaks no SOCKS amiko
// knows, or was already answered. code is the SOCKS5 reply code, which
// for SOCKS4 becomes "rejected".
type socksError struct {
	version, code byte
	msg           string
}

func (e *socksError) Error() string { return "SOCKS: " + e.msg }

// socksOpenError is a request whose channel the server did not open.
type socksOpenError struct {
	target string
	err    error
}

func (e *socksOpenError) Error() string { return "open failed for " + e.target + ": " + e.err.Error() }
func (e *socksOpenError) Unwrap() error { return e.err }

// socksConnect serves one SOCKS client on c: it reads the request, opens
// its connection with dial and answers. It returns the opened connection,
// for the caller to splice with c. On failure c has been answered where
// the protocol allows and closed, and the error is a *socksOpenError when
// dial failed.
func socksConnect(ctx context.Context, c net.Conn, dial func(ctx context.Context, addr string) (net.Conn, error)) (net.Conn, error) {
	c.SetDeadline(time.Now().Add(socksHandshakeTimeout))
	req, err := readSOCKSRequest(c)
	if err != nil {
		var se *socksError
		if errors.As(err, &se) && se.version != 0 {
			writeSOCKSReply(c, se.version, se.code)
		}
		lingerClose(c)
		return nil, err
	}
	// The server may take its time to connect: the client waits for the
	// reply, as it would for a connect of its own.
	c.SetDeadline(time.Time{})
	remote, err := dial(ctx, req.target())
	c.SetDeadline(time.Now().Add(socksHandshakeTimeout)) // for the reply
	if err != nil {
		writeSOCKSReply(c, req.version, socksOpenFailureCode(err))
		lingerClose(c)
		return nil, &socksOpenError{target: req.target(), err: err}
	}
	if err := writeSOCKSReply(c, req.version, socks5Succeeded); err != nil {
		remote.Close()
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return remote, nil
}

// readSOCKSRequest reads a SOCKS4, SOCKS4a or SOCKS5 CONNECT request from
// rw, answering SOCKS5's method negotiation on the way, and reads nothing
// past the request. A request amiko does not serve is a *socksError; a
// read that fails is returned as it is.
func readSOCKSRequest(rw io.ReadWriter) (*socksRequest, error) {
	var v [1]byte
	if _, err := io.ReadFull(rw, v[:]); err != nil {
		return nil, err
	}
	switch v[0] {
	case 4:
		return readSOCKS4(rw)
	case 5:
		return readSOCKS5(rw)
	}
	return nil, &socksError{msg: fmt.Sprintf("not a SOCKS4 or SOCKS5 client (first byte %#x)", v[0])}
}

// readSOCKS4 reads the rest of a SOCKS4 request: command, port, IPv4
// address, user ID and NUL; and for SOCKS4a, whose address is 0.0.0.x
// with x not 0, the host name and NUL.
func readSOCKS4(r io.Reader) (*socksRequest, error) {
	var h [7]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	if _, err := readSOCKS4String(r); err != nil { // the user ID: no authentication here
		return nil, err
	}
	req := &socksRequest{version: 4, port: binary.BigEndian.Uint16(h[1:3])}
	addr := [4]byte(h[3:7])
	if addr[0] == 0 && addr[1] == 0 && addr[2] == 0 && addr[3] != 0 {
		name, err := readSOCKS4String(r)
		if err != nil {
			return nil, err
		}
		req.host = name
	} else {
		req.host = netip.AddrFrom4(addr).String()
	}
	if h[0] != socksCmdConnect {
		return nil, &socksError{version: 4, code: socks5BadCommand, msg: fmt.Sprintf("SOCKS4 command %d is not supported (only CONNECT)", h[0])}
	}
	return req, checkSOCKSHost(req)
}

// readSOCKS4String reads a NUL-terminated string of at most socksMaxName
// bytes, one byte at a time so as not to read past it.
func readSOCKS4String(r io.Reader) (string, error) {
	var b []byte
	var c [1]byte
	for {
		if _, err := io.ReadFull(r, c[:]); err != nil {
			return "", err
		}
		if c[0] == 0 {
			return string(b), nil
		}
		if len(b) == socksMaxName {
			return "", &socksError{version: 4, code: socks5GeneralFailure, msg: fmt.Sprintf("SOCKS4 string longer than %d bytes", socksMaxName)}
		}
		b = append(b, c[0])
	}
}

// readSOCKS5 reads the rest of a SOCKS5 method negotiation, answers it,
// and reads the request: version, command, reserved byte, address type,
// address and port.
func readSOCKS5(rw io.ReadWriter) (*socksRequest, error) {
	var n [1]byte
	if _, err := io.ReadFull(rw, n[:]); err != nil {
		return nil, err
	}
	methods := make([]byte, n[0])
	if _, err := io.ReadFull(rw, methods); err != nil {
		return nil, err
	}
	if !slices.Contains(methods, socks5NoAuth) {
		rw.Write([]byte{5, socks5NoAcceptable})
		return nil, &socksError{msg: fmt.Sprintf("the client offers methods %v, not %d (no authentication)", methods, socks5NoAuth)}
	}
	if _, err := rw.Write([]byte{5, socks5NoAuth}); err != nil {
		return nil, err
	}

	var h [4]byte
	if _, err := io.ReadFull(rw, h[:]); err != nil {
		return nil, err
	}
	if h[0] != 5 {
		return nil, &socksError{version: 5, code: socks5GeneralFailure, msg: fmt.Sprintf("SOCKS5 request of version %d", h[0])}
	}
	// h[2] is reserved: not checked.
	req := &socksRequest{version: 5}
	switch h[3] {
	case socks5AddrIPv4:
		var a [4]byte
		if _, err := io.ReadFull(rw, a[:]); err != nil {
			return nil, err
		}
		req.host = netip.AddrFrom4(a).String()
	case socks5AddrIPv6:
		var a [16]byte
		if _, err := io.ReadFull(rw, a[:]); err != nil {
			return nil, err
		}
		req.host = netip.AddrFrom16(a).String()
	case socks5AddrDomain:
		if _, err := io.ReadFull(rw, n[:]); err != nil {
			return nil, err
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(rw, name); err != nil {
			return nil, err
		}
		req.host = string(name)
	default:
		// The address's length is unknown: nothing more can be read.
		return nil, &socksError{version: 5, code: socks5BadAddressType, msg: fmt.Sprintf("SOCKS5 address type %d is not supported", h[3])}
	}
	var port [2]byte
	if _, err := io.ReadFull(rw, port[:]); err != nil {
		return nil, err
	}
	req.port = binary.BigEndian.Uint16(port[:])
	if h[1] != socksCmdConnect {
		// BIND and UDP ASSOCIATE, which OpenSSH does not serve either.
		return nil, &socksError{version: 5, code: socks5BadCommand, msg: fmt.Sprintf("SOCKS5 command %d is not supported (only CONNECT)", h[1])}
	}
	return req, checkSOCKSHost(req)
}

// checkSOCKSHost refuses a host name that no server could resolve (empty,
// or with spaces or control characters), which would also garble the
// log line about it.
func checkSOCKSHost(req *socksRequest) error {
	if req.host == "" || strings.ContainsFunc(req.host, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return &socksError{version: req.version, code: socks5GeneralFailure, msg: fmt.Sprintf("bad host name %q", req.host)}
	}
	return nil
}

// writeSOCKSReply answers a request with a SOCKS5 reply code; for SOCKS4
// every code but success is "rejected". The bound address is 0.0.0.0
// port 0, as OpenSSH's: the server's end of the connection is not known
// here.
func writeSOCKSReply(w io.Writer, version, code byte) error {
	reply := []byte{5, code, 0, socks5AddrIPv4, 0, 0, 0, 0, 0, 0}
	if version == 4 {
		cd := byte(socks4Granted)
		if code != socks5Succeeded {
			cd = socks4Rejected
		}
		reply = []byte{0, cd, 0, 0, 0, 0, 0, 0}
	}
	_, err := w.Write(reply)
	return err
}

// socksOpenFailureCode is the SOCKS5 reply for a channel the server did
// not open: "connect failed" is the server's connect(2) failing (sshd
// sends it for a refused connection as for an unresolvable name), which
// clients report best as "connection refused"; "administratively
// prohibited" is a PermitOpen or AllowTcpForwarding rule, the "connection
// not allowed by ruleset" of RFC 1928. Anything else (a lost connection,
// a timeout) is a general failure.
func socksOpenFailureCode(err error) byte {
	var oe *amiko.OpenChannelError
	if errors.As(err, &oe) {
		switch oe.Reason {
		case sshOpenConnectFailed:
			return socks5Refused
		case sshOpenProhibited:
			return socks5NotAllowed
		}
	}
	return socks5GeneralFailure
}

// lingerClose closes c after a request that was not served. Closing a
// socket with unread input makes the kernel send a reset, which can
// destroy the reply before the client has read it (golang.org/issue/3595);
// so the sending side is shut first and what the client still sends is
// read and dropped, until it closes or for a second at most.
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
	c.Close()
}
