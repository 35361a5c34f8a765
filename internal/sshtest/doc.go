// Package sshtest starts real SSH servers for tests: OpenSSH's sshd,
// dropbear, paramiko's and asyncssh's server modes, and the
// golang.org/x/crypto/ssh server in-process; and a throwaway MIT Kerberos
// realm (StartKDC) that sshd can accept (Options.Kerberos).
//
// amiko owns its transport, so its tests must talk to servers nobody here
// wrote; a transport that only ever met its own server would agree with
// itself about every mistake. Each Start function brings a server up on
// 127.0.0.1 with an ephemeral port, freshly generated host keys and a user
// key, in a temporary directory, and stops it (and every process it
// started) when the test ends:
//
//	func TestExec(t *testing.T) {
//		s := sshtest.StartOpenSSH(t, sshtest.Options{})
//		client, err := ssh.Dial("tcp", s.Addr, s.ClientConfig())
//		...
//	}
//
// # How each server runs
//
// sshd cannot tell which port it bound when asked for port 0, and picking a
// free port before starting it races with other tests. So it runs the way
// inetd runs it: the harness owns the listener and starts one "sshd -i"
// per accepted connection, with the socket as its standard input and
// output. dropbear refuses to log to stderr in inetd mode, so it runs as
// a daemon on 127.0.0.1:0 and the harness reads its port from /proc.
//
// Both need root (sshd for privilege separation, both to switch to the
// login user) and log in as the dedicated local account "amikotest"
// (home /home/amikotest, shell /bin/sh, a fixed password), which the
// harness creates on first use. Commands on these two servers run as that
// user. The python servers and the x/crypto server accept the same user
// name and password but run commands as the user running the test.
//
// paramiko and asyncssh run from small scripts embedded in this package,
// with Debian's /usr/bin/python3 (which has both modules), and report the
// port they bound on their first line of output.
//
// Every process a server starts runs in a cgroup of the server's own
// where cgroup v2 allows, and the test's cleanup kills the cgroup: that
// catches the commands sshd leaves running, reparented to init, when a
// client disconnects. Without cgroups, cleanup kills the process trees it
// can still find.
//
// # What a test can ask a server
//
// Server carries what a client needs (Addr, HostKeys, User, Password,
// UserKey) and helpers built on it: ClientConfig for an x/crypto client,
// KnownHosts for a known_hosts file, Offered for the algorithms the server
// announces in its KEXINIT, and Log for what the server logged, to assert
// on. An sshd started with Options.X11 forwards X11 (that needs the xauth
// program, package xauth), and X11Client runs an X client in a session
// there, so that a test can see the X11 connection arrive at its end.
//
// # Under CI
//
// A server whose binary or module is missing skips the test, saying what
// to install; with CI=true in the environment it fails the test instead,
// so that a CI machine missing a peer cannot pass by skipping everything.
package sshtest
