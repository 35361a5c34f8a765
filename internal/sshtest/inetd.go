package sshtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
)

// serveInetd listens on 127.0.0.1 at an ephemeral port, sets s.Addr, and
// for each connection starts the process newCmd returns with the
// connection as its standard input and output and s's log as its standard
// error, the way inetd starts "sshd -i". This is how servers that cannot
// report the port they bound are given one that cannot be taken from
// them. Everything stops in t's cleanup.
func serveInetd(t testing.TB, s *Server, newCmd func() *exec.Cmd) {
	t.Helper()
	logf, err := s.openLog()
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		logf.Close()
		t.Fatalf("sshtest: %v", err)
	}
	s.Addr = ln.Addr().String()
	p := newProcs()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					fmt.Fprintf(logf, "sshtest: accept: %v\n", err)
				}
				return
			}
			fmt.Fprintf(logf, "sshtest: connection from %s\n", c.RemoteAddr())
			if err := startInetd(p, c, logf, newCmd()); err != nil {
				fmt.Fprintf(logf, "sshtest: starting %s server: %v\n", s.Name, err)
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		p.stop()
		logf.Close()
	})
}

// startInetd starts cmd on connection c. Our copies of the socket are
// closed once the child has its own.
func startInetd(p *procs, c net.Conn, logf *os.File, cmd *exec.Cmd) error {
	defer c.Close()
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return fmt.Errorf("unexpected connection type %T", c)
	}
	f, err := tc.File()
	if err != nil {
		return err
	}
	defer f.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, logf
	_, err = p.start(cmd)
	return err
}
