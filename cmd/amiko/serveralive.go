package main

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/amiko-ssh/amiko"
)

// serverAliveConn is ServerAliveCountMax=0 with a ServerAliveInterval,
// on the destination's connection. OpenSSH's ssh counts a check each
// time the interval passes with nothing received from the server and
// gives up when the count exceeds CountMax (clientloop.c,
// server_alive_check), before it sends that check's keepalive: with 0 it
// gives up the first time, without sending any, so that even a live but
// idle server is left. The library's keepalives always probe first and
// take 0 as their default count, so the command does this itself: any
// bytes read from the server restart the interval, and once it passes
// the socket is closed and reads fail with a *amiko.KeepaliveError,
// which ends the run with ssh's "Timeout, server ... not responding."
//
// Only the destination's connection is watched: a jump host's carries
// the destination's, so its silence is the destination's too. The
// wrapper hides the socket's descriptor from the transport, which then
// reads through Read, a little slower: for this setting only.
type serverAliveConn struct {
	net.Conn
	interval time.Duration

	mu      sync.Mutex
	timer   *time.Timer // nil until start
	expired bool
	closed  bool
}

// start starts the interval once authentication is done, where ssh's
// client loop starts it; the connect and the authentication have their
// own bounds.
func (c *serverAliveConn) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer == nil && !c.closed {
		c.timer = time.AfterFunc(c.interval, c.expire)
	}
}

func (c *serverAliveConn) expire() {
	c.mu.Lock()
	c.expired = true
	c.mu.Unlock()
	c.Conn.Close()
}

func (c *serverAliveConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		return 0, &amiko.KeepaliveError{Interval: c.interval}
	}
	if n > 0 && c.timer != nil && !c.closed {
		c.timer.Reset(c.interval)
	}
	return n, err
}

func (c *serverAliveConn) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// watchSilence reports whether the destination's connection needs a
// serverAliveConn.
func watchSilence(cfg *config) bool {
	return cfg.ServerAliveInterval > 0 && cfg.ServerAliveCountMax == 0
}

// dialServer connects to host's addresses in turn, as the library does
// when it is given no connection, for a connection the command wraps.
func dialServer(ctx context.Context, host string, port int, timeout time.Duration) (net.Conn, error) {
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	errs := map[string]error{}
	d := net.Dialer{Timeout: timeout}
	for _, a := range addrs {
		addr := net.JoinHostPort(a, strconv.Itoa(port))
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs[addr] = err
	}
	return nil, &amiko.NoValidConnectionsError{Host: host, Port: port, Errors: errs}
}
