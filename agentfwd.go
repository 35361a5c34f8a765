package amiko

import (
	"context"
	"io"
	"net"

	"github.com/amiko-ssh/amiko/internal/connection"
)

// RequestAgentForwarding forwards the local SSH agent (the connection's
// ConnectOptions.AgentSocket, or SSH_AUTH_SOCK) to
// the session (ssh -A): the server then opens an auth-agent@openssh.com
// channel for each use of its SSH_AUTH_SOCK, and amiko connects it to
// the local agent. Channels of that type are refused until a session
// asks for forwarding, as OpenSSH's client does.
func (s *Session) RequestAgentForwarding(ctx context.Context) error {
	s.cc.agentForwarding.Do(func() {
		s.cc.mux.HandleChannelOpen("auth-agent@openssh.com", func(nc *connection.NewChannel) {
			go forwardToAgent(nc, agentSocket(s.cc.agentSocket))
		})
	})
	return s.request(ctx, "auth-agent-req@openssh.com", "", nil)
}

// forwardToAgent connects one agent channel to the local agent at sock.
func forwardToAgent(nc *connection.NewChannel, sock string) {
	if sock == "" {
		nc.Reject(connection.OpenConnectFailed, "no agent")
		return
	}
	agentConn, err := net.Dial("unix", sock)
	if err != nil {
		nc.Reject(connection.OpenConnectFailed, "agent unreachable")
		return
	}
	ch, err := nc.Accept()
	if err != nil {
		agentConn.Close()
		return
	}
	splice(ch, agentConn)
}

// splice copies both ways between a channel and a local connection until
// both directions ended, passing each EOF on, then closes both.
func splice(ch *connection.Channel, local net.Conn) {
	done := make(chan struct{})
	go func() {
		io.Copy(ch, local)
		ch.CloseWrite()
		close(done)
	}()
	io.Copy(local, ch)
	if cw, ok := local.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else {
		local.Close()
	}
	// The local side may never end its half (the peer closed the whole
	// channel): the channel's end ends the splice.
	select {
	case <-done:
	case <-ch.Done():
	}
	local.Close()
	ch.Close()
	<-done
}
