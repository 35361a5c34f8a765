package amiko

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestSessionsAcrossServers: the channel layer against every server the
// tests can start, not only sshd: a command's stdout and stderr kept
// apart, its exit status, and 4 MiB through cat both ways at once (so
// windows fill and adjusts flow both ways with each peer's own policy).
func TestSessionsAcrossServers(t *testing.T) {
	for name, start := range map[string]func(*testing.T) *sshtest.Server{
		"openssh":  func(t *testing.T) *sshtest.Server { return sshtest.StartOpenSSH(t, sshtest.Options{}) },
		"dropbear": func(t *testing.T) *sshtest.Server { return sshtest.StartDropbear(t, sshtest.Options{}) },
		"paramiko": func(t *testing.T) *sshtest.Server { return sshtest.StartParamiko(t, sshtest.Options{}) },
		"asyncssh": func(t *testing.T) *sshtest.Server { return sshtest.StartAsyncSSH(t, sshtest.Options{}) },
		"xssh":     func(t *testing.T) *sshtest.Server { return sshtest.StartXSSH(t, sshtest.XSSHOptions{}) },
	} {
		t.Run(name, func(t *testing.T) {
			isolate(t)
			s := start(t)
			checkNoLeak(t)
			c := connectTo(t, s, nil)

			cmd := c.Command(t.Context(), "echo out; echo err >&2; exit 3")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			var ee *ExitError
			if err := cmd.Run(); !errors.As(err, &ee) || ee.Status != 3 {
				t.Fatalf("exit: %v", err)
			}
			if out.String() != "out\n" || errOut.String() != "err\n" {
				t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
			}

			const size = 4 << 20
			cat := c.Command(t.Context(), "cat")
			cat.Stdin = io.LimitReader(pattern{}, size)
			got := sha256.New()
			cat.Stdout = got
			if err := cat.Run(); err != nil {
				t.Fatal(err)
			}
			want := sha256.New()
			io.Copy(want, io.LimitReader(pattern{}, size))
			if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
				t.Fatal("data changed through cat")
			}
			c.Close()
		})
	}
}
