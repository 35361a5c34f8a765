package sftp_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// benchSize is what each benchmark operation moves.
const benchSize = 128 << 20

// BenchmarkTransfer uploads and downloads through sshd's sftp-server with
// amiko and this package's defaults, with other pkg/sftp settings, with
// golang.org/x/crypto/ssh under pkg/sftp, and with OpenSSH's sftp, all
// with the same cipher, to compare MB/s:
//
//	go test -run '^$' -bench Transfer -benchtime 4x ./sftp/
func BenchmarkTransfer(b *testing.B) {
	sshtest.Require(b, "openssh")
	sshtest.Require(b, "root")
	clients := []struct {
		name string
		open func(b *testing.B, s *sshtest.Server) *pkgsftp.Client
	}{
		{"amiko", amikoWith()},
		{"amiko/sequential", amikoWith(pkgsftp.UseConcurrentReads(false), pkgsftp.UseConcurrentWrites(false))},
		{"amiko/requests=16", amikoWith(pkgsftp.MaxConcurrentRequestsPerFile(16))},
		{"amiko/requests=32", amikoWith(pkgsftp.MaxConcurrentRequestsPerFile(32))},
		{"amiko/requests=128", amikoWith(pkgsftp.MaxConcurrentRequestsPerFile(128))},
		{"amiko/packet=255KiB", amikoWith(pkgsftp.MaxPacketUnchecked(261120))},
		{"xcrypto", func(b *testing.B, s *sshtest.Server) *pkgsftp.Client {
			conn, err := ssh.Dial("tcp", s.Addr, s.ClientConfig())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { conn.Close() })
			sc, err := pkgsftp.NewClient(conn, pkgsftp.UseConcurrentWrites(true))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { sc.Close() })
			return sc
		}},
	}
	for _, cipher := range []string{"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com"} {
		b.Run(cipher, func(b *testing.B) {
			s, key := benchServer(b, cipher)
			for _, c := range clients {
				b.Run(c.name, func(b *testing.B) {
					sc := c.open(b, s)
					remote := filepath.Join(s.Dir, "bench")
					b.Run("upload", func(b *testing.B) {
						b.SetBytes(benchSize)
						for b.Loop() {
							upload(b, sc, remote, stream(benchSize, io.Discard))
						}
					})
					b.Run("download", func(b *testing.B) {
						b.SetBytes(benchSize)
						for b.Loop() {
							download(b, sc, remote, io.Discard)
						}
					})
				})
			}
			b.Run("openssh", func(b *testing.B) { benchOpenSSH(b, s, key, cipher) })
		})
	}
}

func amikoWith(opts ...pkgsftp.ClientOption) func(*testing.B, *sshtest.Server) *pkgsftp.Client {
	return func(b *testing.B, s *sshtest.Server) *pkgsftp.Client {
		return openSFTP(b, connect(b, s), opts...)
	}
}

// benchServer starts sshd with sftp-server and only the given cipher, and
// authorizes a key written to a file for OpenSSH's sftp.
func benchServer(b *testing.B, cipher string) (*sshtest.Server, string) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		b.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		b.Fatal(err)
	}
	key := filepath.Join(b.TempDir(), "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("HOME", b.TempDir())
	b.Setenv("SSH_AUTH_SOCK", "")
	s := sshtest.StartOpenSSH(b, sshtest.Options{
		Config:         []string{sftpServer, "Ciphers " + cipher},
		AuthorizedKeys: []ssh.PublicKey{sshPub},
	})
	return s, key
}

// benchOpenSSH times OpenSSH's sftp in batch mode. Each operation
// includes its connect, which is small beside the transfer.
func benchOpenSSH(b *testing.B, s *sshtest.Server, key, cipher string) {
	if _, err := exec.LookPath("sftp"); err != nil {
		b.Skip("no sftp client")
	}
	local := filepath.Join(b.TempDir(), "local")
	f, err := os.Create(local)
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.Copy(f, stream(benchSize, io.Discard))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	_, port, _ := strings.Cut(s.Addr, ":")
	remote := filepath.Join(s.Dir, "bench")
	run := func(batch string) {
		cmd := exec.Command("sftp", "-q", "-b", "-", "-i", key, "-P", port, "-c", cipher,
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", s.User+"@127.0.0.1")
		cmd.Stdin = strings.NewReader(batch)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sftp: %v\n%s", err, out)
		}
	}
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			run(fmt.Sprintf("put %s %s\n", local, remote))
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			run(fmt.Sprintf("get %s /dev/null\n", remote))
		}
	})
}
