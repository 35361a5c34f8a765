package amiko

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// echoServer listens on 127.0.0.1 and, for each connection, writes back
// what it reads upper-cased until EOF, then closes.
func echoServer(t *testing.T) string {
	return sshtest.ServeTCP(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		c.Write([]byte(strings.ToUpper(string(b))))
	})
}

// TestDialThroughServer: direct-tcpip to a service on 127.0.0.1 through
// sshd, with CloseWrite passing EOF on, deadlines, and a refused address.
func TestDialThroughServer(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	echo := echoServer(t)
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	conn, err := c.Dial(t.Context(), "tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "hello through sshd")
	if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "HELLO THROUGH SSHD" {
		t.Fatalf("got %q, %v", got, err)
	}
	conn.Close()

	// A read deadline interrupts a read that waits.
	conn, err = c.Dial(t.Context(), "tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v", err)
	}
	conn.Close()

	// An address nothing listens on: sshd refuses the channel.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	_, err = c.Dial(t.Context(), "tcp", deadAddr)
	var oce *OpenChannelError
	if !errors.As(err, &oce) || !errors.Is(err, ErrSSH) {
		t.Fatalf("dial to a closed port: %v", err)
	}
	c.Close()
}

// TestListenOnServer: tcpip-forward with a port sshd chooses; a
// connection to it on the server arrives through Accept.
func TestListenOnServer(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	l, err := c.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	if addr.Port == 0 {
		t.Fatal("no port reported")
	}
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		line, _ := bufio.NewReader(conn).ReadString('\n')
		fmt.Fprintf(conn, "got %s", line)
		conn.Close()
	}()
	// The server side: a client on the server connects to the port (sshd
	// listens there since sshd runs on this machine).
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(nc, "ping\n")
	reply, _ := io.ReadAll(nc)
	nc.Close()
	if string(reply) != "got ping\n" {
		t.Fatalf("reply %q", reply)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Cancelled: the server no longer listens.
	if nc, err := net.Dial("tcp", addr.String()); err == nil {
		nc.Close()
		t.Fatal("the server still listens after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	c.Close()
}

// TestJumpHostsTwoDeep: the seed's sock, given a connection dialed
// through another amiko connection, itself dialed through a third: a
// jump through two sshd instances.
func TestJumpHostsTwoDeep(t *testing.T) {
	isolate(t)
	jump1 := sshtest.StartOpenSSH(t, sshtest.Options{})
	jump2 := sshtest.StartOpenSSH(t, sshtest.Options{})
	target := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)

	c1 := connectTo(t, jump1, nil)
	hop := func(via *Client, s *sshtest.Server) *Client {
		conn, err := via.Dial(t.Context(), "tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		return connectTo(t, s, &ConnectOptions{Sock: conn})
	}
	c2 := hop(c1, jump2)
	c3 := hop(c2, target)
	info, _ := c3.ConnInfo()
	if !sameKey(info.HostKey, target.HostKeys) {
		t.Fatal("the last hop did not reach the target")
	}
	out, err := c3.Command(t.Context(), "echo $((6*7))").Output()
	if err != nil || string(out) != "42\n" {
		t.Fatalf("through two jumps: %q %v", out, err)
	}
	// Closing the innermost client closes its Sock, the channel of the
	// middle one; then the outer clients close cleanly.
	c3.Close()
	c2.Close()
	c1.Close()
}

func sameKey(k ssh.PublicKey, keys []ssh.PublicKey) bool {
	for _, h := range keys {
		if string(h.Marshal()) == string(k.Marshal()) {
			return true
		}
	}
	return false
}

// TestProxyCommand: a process's stdin and stdout as the transport, here
// bash's /dev/tcp, like a ProxyCommand of nc.
func TestProxyCommand(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	checkNoLeak(t)
	host, p, _ := net.SplitHostPort(s.Addr)
	cmd := fmt.Sprintf(`exec bash -c 'exec 3<>/dev/tcp/%s/%s; cat <&3 & cat >&3; kill %%1'`, host, p)
	conn, err := ProxyCommand(t.Context(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	c := connectTo(t, s, &ConnectOptions{Sock: conn})
	out, err := c.Command(t.Context(), "echo via proxy").Output()
	if err != nil || string(out) != "via proxy\n" {
		t.Fatalf("got %q %v", out, err)
	}
	c.Close()

	// A command that exits at once: the connection fails with an error,
	// not a hang.
	conn, err = ProxyCommand(t.Context(), "exit 0")
	if err != nil {
		t.Fatal(err)
	}
	cl := NewClient()
	err = cl.Connect(t.Context(), "127.0.0.1", &ConnectOptions{Sock: conn, Username: "x", DisableAgent: true, DisableKeyDiscovery: true})
	if err == nil {
		t.Fatal("connected through a command that exited")
	}
}

// TestAgentForwarding: ssh-add -l on the server lists the key of the
// local agent.
func TestAgentForwarding(t *testing.T) {
	home := isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	keyFile := filepath.Join(home, "fwdkey")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	writeKey(t, keyFile, priv, "")
	sock := sshtest.StartAgent(t, keyFile)
	t.Setenv("SSH_AUTH_SOCK", sock)
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	signer, _ := ssh.NewSignerFromKey(priv)
	fp := ssh.FingerprintSHA256(signer.PublicKey())

	// Without forwarding the server has no agent. (Once a session asked
	// for it, sshd offers its agent socket to every later session of the
	// connection, so this comes first.)
	out, _ := c.Command(t.Context(), "ssh-add -l; echo status $?").CombinedOutput()
	if strings.Contains(string(out), fp) || !strings.Contains(string(out), "status 2") {
		t.Fatalf("without forwarding: %q", out)
	}
	cmd := c.Command(t.Context(), "ssh-add -l")
	cmd.ForwardAgent = true
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), fp) {
		t.Fatalf("ssh-add -l on the server: %q %v", out, err)
	}
	c.Close()
}

// TestChannelTimeout: ConnectOptions.ChannelTimeout bounds opening a
// channel; a server that never answers the open fails it with the
// deadline's error.
func TestChannelTimeout(t *testing.T) {
	isolate(t)
	s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Handler: func(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
		// Never answer an open: it stays pending.
		go ssh.DiscardRequests(reqs)
		for range chans {
		}
	}})
	checkNoLeak(t)
	c := connectTo(t, s, &ConnectOptions{ChannelTimeout: 200 * time.Millisecond})
	_, err := c.NewSession(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("open against a silent server: %v", err)
	}
	c.Close()
}

// TestDialUnixSocket: "unix" dials a socket on the server
// (direct-streamlocal@openssh.com).
func TestDialUnixSocket(t *testing.T) {
	isolate(t)
	s := sshtest.StartOpenSSH(t, sshtest.Options{})
	// sshd opens the socket as the test account: a directory it can
	// enter, a socket it can write.
	dir, err := os.MkdirTemp("", "amiko-unix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "echo.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	os.Chmod(path, 0o777)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	checkNoLeak(t)
	c := connectTo(t, s, nil)
	conn, err := c.Dial(t.Context(), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "over a unix socket")
	conn.(interface{ CloseWrite() error }).CloseWrite()
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "over a unix socket" {
		t.Fatalf("got %q, %v", got, err)
	}
	conn.Close()
	c.Close()
}

// TestProxyCommandConn: the command's pipes as a net.Conn: data both
// ways, a read deadline, CloseWrite as EOF, Close ending the command.
func TestProxyCommandConn(t *testing.T) {
	checkNoLeak(t)
	conn, err := ProxyCommand(t.Context(), "cat")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("got %q, %v", buf, err)
	}
	conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	conn.SetReadDeadline(time.Time{})
	conn.(interface{ CloseWrite() error }).CloseWrite()
	if n, err := conn.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after CloseWrite: %d, %v", n, err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAgentSocket: ConnectOptions.AgentSocket names the agent for
// authentication and forwarding on this connection, whatever
// SSH_AUTH_SOCK says: two connections, each with its own agent.
func TestAgentSocket(t *testing.T) {
	home := isolate(t)
	var socks []string
	var pubs []ssh.PublicKey
	for i := range 2 {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		file := filepath.Join(home, fmt.Sprint("key", i))
		writeKey(t, file, priv, "")
		socks = append(socks, sshtest.StartAgent(t, file))
		signer, _ := ssh.NewSignerFromKey(priv)
		pubs = append(pubs, signer.PublicKey())
	}
	t.Setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock")
	checkNoLeak(t)
	// Each server authorizes one of the agents' keys.
	for i := range 2 {
		s := sshtest.StartOpenSSH(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{pubs[i]}})
		c := NewClient()
		c.SetMissingHostKeyPolicy(trustServer(s))
		opts := &ConnectOptions{Port: port(t, s.Addr), Username: s.User, AgentSocket: socks[i], DisableKeyDiscovery: true}
		if err := c.Connect(t.Context(), "127.0.0.1", opts); err != nil {
			t.Fatalf("agent %d: %v", i, err)
		}
		cmd := c.Command(t.Context(), "ssh-add -l")
		cmd.ForwardAgent = true
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), ssh.FingerprintSHA256(pubs[i])) || strings.Contains(string(out), ssh.FingerprintSHA256(pubs[1-i])) {
			t.Fatalf("agent %d forwarded: ssh-add -l on the server: %q %v", i, out, err)
		}
		c.Close()
	}
}
