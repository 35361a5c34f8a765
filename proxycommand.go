package amiko

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
)

// ProxyCommand runs command with "sh -c" and returns its standard input
// and output as a net.Conn, for ConnectOptions.Sock (OpenSSH's
// ProxyCommand, paramiko's ProxyCommand). Its standard error goes to
// this process's. ctx bounds the start only; Close ends the command:
// it closes its input, then kills it if it has not exited within a
// second. Deadlines work, as the pipes are pollable.
func ProxyCommand(ctx context.Context, command string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	p := &proxyConn{cmd: cmd, in: inW, out: outR, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// proxyConn is a command's standard input and output as a net.Conn.
type proxyConn struct {
	cmd       *exec.Cmd
	in        *os.File // the command's standard input
	out       *os.File // its standard output
	exited    chan struct{}
	closeOnce sync.Once
}

func (p *proxyConn) Read(b []byte) (int, error)  { return p.out.Read(b) }
func (p *proxyConn) Write(b []byte) (int, error) { return p.in.Write(b) }

// CloseWrite closes the command's standard input.
func (p *proxyConn) CloseWrite() error { return p.in.Close() }

// proxyGrace is how long Close lets the command exit on its own.
const proxyGrace = time.Second

func (p *proxyConn) Close() error {
	err := net.ErrClosed
	p.closeOnce.Do(func() {
		err = nil
		p.in.Close()
		select {
		case <-p.exited:
		case <-time.After(proxyGrace):
			p.cmd.Process.Kill()
			<-p.exited
		}
		p.out.Close()
	})
	return err
}

func (p *proxyConn) LocalAddr() net.Addr  { return proxyAddr("local") }
func (p *proxyConn) RemoteAddr() net.Addr { return proxyAddr(p.cmd.String()) }

func (p *proxyConn) SetDeadline(t time.Time) error {
	return errors.Join(p.in.SetWriteDeadline(t), p.out.SetReadDeadline(t))
}
func (p *proxyConn) SetReadDeadline(t time.Time) error  { return p.out.SetReadDeadline(t) }
func (p *proxyConn) SetWriteDeadline(t time.Time) error { return p.in.SetWriteDeadline(t) }

// proxyAddr names the command behind a ProxyCommand connection.
type proxyAddr string

func (a proxyAddr) Network() string { return "proxycommand" }
func (a proxyAddr) String() string  { return string(a) }
