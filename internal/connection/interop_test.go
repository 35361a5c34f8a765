package connection

import (
	"crypto/sha256"
	"io"
	"testing"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestInterop runs a command with stdout, stderr and an exit status, and
// echoes data both ways, on every server the tests have.
func TestInterop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) *sshtest.Server
	}{
		{"openssh", func(t *testing.T) *sshtest.Server { return sshtest.StartOpenSSH(t, sshtest.Options{}) }},
		{"dropbear", func(t *testing.T) *sshtest.Server { return sshtest.StartDropbear(t, sshtest.Options{}) }},
		{"asyncssh", func(t *testing.T) *sshtest.Server { return sshtest.StartAsyncSSH(t, sshtest.Options{}) }},
		{"paramiko", func(t *testing.T) *sshtest.Server { return sshtest.StartParamiko(t, sshtest.Options{}) }},
		{"xssh", func(t *testing.T) *sshtest.Server { return sshtest.StartXSSH(t, sshtest.XSSHOptions{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start(t)
			c := dial(t, s, s.Addr, Config{})
			ch := startExec(t, c, "echo hello; echo err >&2; exit 3")
			ch.CloseWrite()
			r := collect(t, ch)
			if string(r.stdout) != "hello\n" || string(r.stderr) != "err\n" || r.status != 3 {
				t.Errorf("stdout %q, stderr %q, status %d (%v)", r.stdout, r.stderr, r.status, r.hasStatus)
			}
			ch.Close()

			data := pattern(scaled(8<<20, 4))
			ch = startExec(t, c, "cat")
			errc := make(chan error, 1)
			go func() {
				_, err := ch.Write(data)
				if err == nil {
					err = ch.CloseWrite()
				}
				errc <- err
			}()
			h := sha256.New()
			n, err := io.Copy(h, ch)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(data)
			if n != int64(len(data)) || string(h.Sum(nil)) != string(want[:]) {
				t.Fatalf("echoed %d of %d bytes, hash match %v", n, len(data), string(h.Sum(nil)) == string(want[:]))
			}
			ch.Close()
		})
	}
}
