package sftp_test

import (
	"github.com/amiko-ssh/amiko/internal/leaktest"
	"net"
	"strconv"
	"testing"

	pkgsftp "github.com/pkg/sftp"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/internal/sshtest"
	"github.com/amiko-ssh/amiko/sftp"
)

// sftpServer is the subsystem line of the servers here: the standalone
// sftp-server, which most installations run (the harness's default is
// sshd's built-in internal-sftp).
const sftpServer = "Subsystem sftp /usr/lib/openssh/sftp-server"

// startServer starts sshd with its sftp subsystem.
func startServer(t testing.TB) *sshtest.Server {
	t.Helper()
	return startServerWith(t, sftpServer)
}

// startServerWith starts sshd with the given Subsystem line, and points
// HOME at a temporary directory with no agent, so that nothing of the
// machine's own ~/.ssh or agent takes part.
func startServerWith(t testing.TB, subsystem string) *sshtest.Server {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	return sshtest.StartOpenSSH(t, sshtest.Options{Config: []string{subsystem}})
}

// connect logs in to s with its user key. The test's cleanup closes the
// client.
func connect(t testing.TB, s *sshtest.Server) *amiko.Client {
	t.Helper()
	_, p, err := net.SplitHostPort(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	c := amiko.NewClient()
	c.SetMissingHostKeyPolicy(amiko.HostKeyCallbackPolicy(s.HostKeyCallback()))
	err = c.Connect(t.Context(), "127.0.0.1", &amiko.ConnectOptions{
		Port:                port,
		Username:            s.User,
		PKey:                s.UserKey,
		DisableAgent:        true,
		DisableKeyDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// openSFTP starts an SFTP client on c. The test's cleanup closes it.
func openSFTP(t testing.TB, c *amiko.Client, opts ...pkgsftp.ClientOption) *pkgsftp.Client {
	t.Helper()
	sc, err := sftp.NewClient(t.Context(), c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// checkNoLeak: see leaktest.Check.
func checkNoLeak(t *testing.T) { leaktest.Check(t) }
