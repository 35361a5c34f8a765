// Package amiko is an SSH client with the connect semantics of paramiko's
// SSHClient.connect and Go's idioms.
//
// A Client holds host key stores (the system's and the user's
// known_hosts), a policy for hosts in neither, and one connection. Connect
// dials the server (or uses a net.Conn given as Sock), runs amiko's own
// SSH transport, checks the host key, and authenticates in paramiko's
// order: the key given (PKey or KeyFilenames), keys from the SSH agent,
// keys found in ~/.ssh, then the password (GSS-API first when asked for:
// see ConnectOptions.GSSAuth and GSSKex).
//
// On the connection: Command runs a command the way os/exec does,
// ExecCommand and InvokeShell are paramiko's exec_command and
// invoke_shell, NewSession gives the session channel itself, Dial and
// Listen forward TCP through the server as net.Conn and net.Listener
// (a Dial result given to another Connect as Sock is a jump host), and
// the sftp subpackage opens SFTP. A session can forward the agent
// (RequestAgentForwarding) and X11 (RequestX11Forwarding); the channels a
// server opens for either are refused unless a session asked for them.
// One goroutine serves each connection; keepalives
// (ConnectOptions.KeepaliveInterval) detect a dead server.
//
// Every call that can block takes a context.Context. Errors are typed for
// errors.As, and every SSH-level error matches ErrSSH with errors.Is, as
// every paramiko error is an SSHException.
package amiko
