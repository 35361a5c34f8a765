// Package sshtest starts real SSH servers for tests: OpenSSH's sshd,
// dropbear, paramiko's and asyncssh's server modes, and the
// golang.org/x/crypto/ssh server in-process.
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
// sshd and dropbear cannot tell which port they bound when asked for port
// 0, and picking a free port before starting them races with other tests.
// So they run the way inetd runs them: the harness owns the listener and
// starts one "sshd -i" or "dropbear -i" per accepted connection, with the
// socket as its standard input and output.
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
// # Under CI
//
// A server whose binary or module is missing skips the test, saying what
// to install; with CI=true in the environment it fails the test instead,
// so that a CI machine missing a peer cannot pass by skipping everything.
package sshtest
