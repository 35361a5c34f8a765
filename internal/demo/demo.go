package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko"
)

// demoUser is the one account of the demo server. Every connect names it,
// so the local user name is never looked up.
const demoUser = "demo"

// connectTimeout guards each connect against a hang; it is not expected
// to be reached.
const connectTimeout = 20 * time.Second

// demo holds what the steps share: the server, the files in the temporary
// directory, and the notes of the step running.
type demo struct {
	w          io.Writer
	dir        string
	srv        *server
	port       int
	hostKey    ssh.Signer
	userKey    ssh.Signer
	keyFile    string // userKey's file, authorized by the server
	otherKey   string // a key file the server does not accept
	password   string
	knownHosts string

	notes []string
}

// Run starts the demo server, walks every step against it, prints each
// step's outcome to w, and cleans up: the temporary directory is removed
// and no goroutine of the demo is left running. It returns an error if
// any step failed.
func Run(ctx context.Context, w io.Writer) (err error) {
	d, err := setup(w)
	if err != nil {
		return fmt.Errorf("demo: setting up: %w", err)
	}
	defer func() {
		err = errors.Join(err, d.cleanup())
	}()
	fmt.Fprintf(w, "amiko demo: an SSH server in this process (golang.org/x/crypto/ssh) on %s\n", d.srv.addr())
	fmt.Fprintf(w, "  files     %s (removed at the end)\n", d.dir)
	fmt.Fprintf(w, "  host key  %s\n", fingerprint(d.hostKey.PublicKey()))
	fmt.Fprintf(w, "  user      %s: a random password, and the key %s (%s)\n",
		demoUser, filepath.Base(d.keyFile), fingerprint(d.userKey.PublicKey()))

	steps := []struct {
		title string
		run   func(context.Context) error
	}{
		{"an unknown host is rejected by the default policy", d.unknownHost},
		{"AutoAddPolicy accepts the host and writes known_hosts", d.autoAdd},
		{"a mismatched host key is refused", d.mismatch},
		{"public key authentication with a key file", d.keyAuth},
		{"password fallback after a key the server refuses", d.passwordFallback},
		{"a command and its exit status", d.command},
		{"SFTP upload and download, checked by SHA-256", d.sftp},
	}
	failed := 0
	for i, s := range steps {
		if !d.step(ctx, i+1, s.title, s.run) {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "FAIL %d of %d steps failed\n", failed, len(steps))
		return fmt.Errorf("demo: %d of %d steps failed", failed, len(steps))
	}
	fmt.Fprintf(w, "ok   all %d steps passed\n", len(steps))
	return nil
}

// setup makes the temporary directory, the keys and the password, and
// starts the server.
func setup(w io.Writer) (*demo, error) {
	dir, err := os.MkdirTemp("", "amiko-demo-")
	if err != nil {
		return nil, err
	}
	d := &demo{w: w, dir: dir, knownHosts: filepath.Join(dir, "known_hosts"), password: rand.Text()[:12]}
	if err := d.makeKeys(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv, err := startServer(dir, d.hostKey, demoUser, d.password, d.userKey.PublicKey())
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.srv = srv
	d.port = srv.addr().Port
	return d, nil
}

func (d *demo) makeKeys() error {
	var err error
	if d.hostKey, _, err = newKeyFile(d.dir, "ssh_host_ed25519_key"); err != nil {
		return err
	}
	if d.userKey, d.keyFile, err = newKeyFile(d.dir, "id_ed25519"); err != nil {
		return err
	}
	_, d.otherKey, err = newKeyFile(d.dir, "id_ed25519_other")
	return err
}

func (d *demo) cleanup() error {
	return errors.Join(d.srv.close(), os.RemoveAll(d.dir))
}

// step runs one step and prints its outcome, then the notes it made.
func (d *demo) step(ctx context.Context, n int, title string, run func(context.Context) error) bool {
	d.notes = nil
	err := run(ctx)
	if err == nil {
		fmt.Fprintf(d.w, "ok   %d. %s\n", n, title)
	} else {
		fmt.Fprintf(d.w, "FAIL %d. %s: %v\n", n, title, err)
	}
	for _, note := range d.notes {
		fmt.Fprintf(d.w, "       %s\n", note)
	}
	return err == nil
}

// note adds a line to the step's report.
func (d *demo) note(format string, args ...any) {
	d.notes = append(d.notes, fmt.Sprintf(format, args...))
}

// host is the name the server's keys are filed under in known_hosts.
func (d *demo) host() string { return amiko.HostKeyName("127.0.0.1", d.port) }

// options are the connect options every step starts from: the demo user,
// and neither the agent nor ~/.ssh, whatever this machine has.
func (d *demo) options() *amiko.ConnectOptions {
	return &amiko.ConnectOptions{
		Port:                d.port,
		Username:            demoUser,
		DisableAgent:        true,
		DisableKeyDiscovery: true,
		Timeout:             connectTimeout,
		AuthTimeout:         connectTimeout,
	}
}

// knownClient returns a client that knows the host from the demo's
// known_hosts (written by step 2) and keeps the default RejectPolicy.
func (d *demo) knownClient() (*amiko.Client, error) {
	c := amiko.NewClient()
	if err := c.LoadHostKeys(d.knownHosts); err != nil {
		return nil, err
	}
	return c, nil
}

// clientLog collects a client's log (Client.SetLogger) for the demo to
// print.
type clientLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *clientLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// logger logs at debug level without times, which would only clutter
// the demo's output.
func (l *clientLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// lines returns the logged lines that contain one of subs.
func (l *clientLog) lines(subs ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		for _, s := range subs {
			if strings.Contains(line, s) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}
