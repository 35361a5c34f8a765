// Command xsshserver is the benchmark's fast server: a
// golang.org/x/crypto/ssh server in a process of its own, for the
// measurements that sshd would blur. sshd spends about a quarter of a
// second of its own on every connection (re-executing itself, privilege
// separation), which overlaps the round trips the connect measurement
// counts; this server answers at once. It also keeps the server's CPU out
// of the client's process when client CPU is measured.
//
// It listens on 127.0.0.1 at an ephemeral port, prints "LISTEN addr" as
// its first line, and serves session channels: exec runs the command with
// sh -c as the user running the server; the sftp subsystem is pkg/sftp's
// server. Public key authentication only, for the keys in
// -authorized-keys.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func main() {
	hostKey := flag.String("host-key", "", "host key file, OpenSSH format")
	authorized := flag.String("authorized-keys", "", "authorized_keys file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("xsshserver: ")
	cfg, err := config(*hostKey, *authorized)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	os.Stdout.Close() // the starter reads to EOF
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, cfg)
	}
}

func config(hostKeyPath, authorizedPath string) (*ssh.ServerConfig, error) {
	pem, err := os.ReadFile(hostKeyPath)
	if err != nil {
		return nil, err
	}
	hostKey, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	rest, err := os.ReadFile(authorizedPath)
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	for len(bytes.TrimSpace(rest)) > 0 {
		var k ssh.PublicKey
		k, _, _, rest, err = ssh.ParseAuthorizedKey(rest)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.Marshal())
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range keys {
				if bytes.Equal(k, key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("key not authorized")
		},
	}
	cfg.AddHostKey(hostKey)
	return cfg, nil
}

func serve(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go session(ch, creqs)
	}
}

// session answers a session's requests until one starts something: exec
// or the sftp subsystem. Everything else (pty, env, shell) is refused.
func session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		var arg struct{ Value string }
		switch req.Type {
		case "exec", "subsystem":
			if ssh.Unmarshal(req.Payload, &arg) != nil || (req.Type == "subsystem" && arg.Value != "sftp") {
				req.Reply(false, nil)
				continue
			}
		default:
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		go ssh.DiscardRequests(reqs)
		if req.Type == "subsystem" {
			if s, err := sftp.NewServer(ch); err == nil {
				s.Serve()
				s.Close()
			}
			return
		}
		status := run(ch, arg.Value)
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

// run runs command with the channel as its standard streams. Standard
// input is copied by a goroutine nobody waits for: the command may exit
// without reading it, and the channel's close ends the copy.
func run(ch ssh.Channel, command string) uint32 {
	cmd := exec.Command("/bin/sh", "-c", command)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 255
	}
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	if err := cmd.Start(); err != nil {
		return 127
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return uint32(exit.ExitCode() & 0xff)
	case err != nil:
		return 255
	}
	return 0
}
