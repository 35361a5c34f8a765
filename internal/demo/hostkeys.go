package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko"
)

// Steps 1 to 3: what amiko does with the server's host key.

// unknownHost is step 1: a fresh Client knows no host and its default
// RejectPolicy refuses the server before any authentication.
func (d *demo) unknownHost(ctx context.Context) error {
	c := amiko.NewClient()
	defer c.Close()
	opts := d.options()
	opts.KeyFilenames = []string{d.keyFile}
	err := c.Connect(ctx, "127.0.0.1", opts)
	var u *amiko.UnknownHostError
	switch {
	case err == nil:
		return errors.New("connected to a host in no known_hosts")
	case !errors.As(err, &u):
		return fmt.Errorf("want an *amiko.UnknownHostError, got %w", err)
	case !sameKey(u.Key, d.hostKey.PublicKey()):
		return fmt.Errorf("the error names the key %s, not the server's", fingerprint(u.Key))
	}
	d.note("amiko.NewClient() + Connect: *amiko.UnknownHostError")
	d.note("  %v", u)
	return nil
}

// autoAdd is step 2: LoadHostKeys, AutoAddPolicy, and the line it saves,
// which a client with the default policy then trusts.
func (d *demo) autoAdd(ctx context.Context) error {
	c := amiko.NewClient()
	defer c.Close()
	err := c.LoadHostKeys(d.knownHosts)
	if errors.Is(err, fs.ErrNotExist) {
		// As paramiko's load_host_keys, LoadHostKeys wants the file to
		// exist: the path is where auto-added keys will be saved.
		d.note("LoadHostKeys on a missing file fails (%v): created it empty", errors.Unwrap(err))
		if err := os.WriteFile(d.knownHosts, nil, 0o600); err != nil {
			return err
		}
		err = c.LoadHostKeys(d.knownHosts)
	}
	if err != nil {
		return fmt.Errorf("LoadHostKeys: %w", err)
	}
	c.SetMissingHostKeyPolicy(amiko.AutoAddPolicy{})
	opts := d.options()
	opts.KeyFilenames = []string{d.keyFile}
	if err := c.Connect(ctx, "127.0.0.1", opts); err != nil {
		return fmt.Errorf("connecting with AutoAddPolicy: %w", err)
	}
	if err := c.SaveHostKeys(); err != nil {
		return fmt.Errorf("SaveHostKeys: %w", err)
	}
	data, err := os.ReadFile(d.knownHosts)
	if err != nil {
		return err
	}
	line := strings.TrimSpace(string(data))
	if err := d.checkKnownHostsLine(line); err != nil {
		return err
	}
	d.note("connected with AutoAddPolicy; known_hosts now holds:")
	d.note("  %s", line)

	// The saved line is what a strict client needs.
	strict, err := d.knownClient()
	if err != nil {
		return err
	}
	defer strict.Close()
	if err := strict.Connect(ctx, "127.0.0.1", opts); err != nil {
		return fmt.Errorf("a client with RejectPolicy and that known_hosts: %w", err)
	}
	d.note("a new client with RejectPolicy and LoadHostKeys(known_hosts) connects")
	return nil
}

// checkKnownHostsLine checks that line is the one known_hosts line for
// the server: its host name and its key.
func (d *demo) checkKnownHostsLine(line string) error {
	if line == "" || strings.Contains(line, "\n") {
		return fmt.Errorf("want one line in known_hosts, got %q", line)
	}
	_, hosts, key, _, _, err := ssh.ParseKnownHosts([]byte(line))
	if err != nil {
		return fmt.Errorf("known_hosts: %w", err)
	}
	if !slices.Equal(hosts, []string{d.host()}) || !sameKey(key, d.hostKey.PublicKey()) {
		return fmt.Errorf("known_hosts holds %v %s, want %s %s", hosts, fingerprint(key), d.host(), fingerprint(d.hostKey.PublicKey()))
	}
	return nil
}

// mismatch is step 3: known_hosts lists another key for the host, and
// the server is refused even under AutoAddPolicy, which adds unknown
// hosts only. known_hosts is put back afterwards for the next steps.
func (d *demo) mismatch(ctx context.Context) (err error) {
	saved, err := os.ReadFile(d.knownHosts)
	if err != nil {
		return err
	}
	defer func() {
		if werr := os.WriteFile(d.knownHosts, saved, 0o600); werr != nil && err == nil {
			err = fmt.Errorf("restoring known_hosts: %w", werr)
		}
	}()

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	other, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	forged := []byte(d.host() + " " + string(ssh.MarshalAuthorizedKey(other)))
	if err := os.WriteFile(d.knownHosts, forged, 0o600); err != nil {
		return err
	}
	d.note("known_hosts rewritten with another key for %s", d.host())

	c := amiko.NewClient()
	defer c.Close()
	if err := c.LoadHostKeys(d.knownHosts); err != nil {
		return fmt.Errorf("LoadHostKeys: %w", err)
	}
	c.SetMissingHostKeyPolicy(amiko.AutoAddPolicy{})
	opts := d.options()
	opts.KeyFilenames = []string{d.keyFile}
	err = c.Connect(ctx, "127.0.0.1", opts)
	var bad *amiko.BadHostKeyError
	switch {
	case err == nil:
		return errors.New("connected although known_hosts lists another key")
	case !errors.As(err, &bad):
		return fmt.Errorf("want an *amiko.BadHostKeyError, got %w", err)
	case bad.Host != d.host() || !sameKey(bad.Presented, d.hostKey.PublicKey()) ||
		len(bad.Expected) != 1 || !sameKey(bad.Expected[0], other):
		return fmt.Errorf("the error names the wrong host or keys: %w", err)
	}
	d.note("*amiko.BadHostKeyError, even with AutoAddPolicy:")
	d.note("  host      %s", bad.Host)
	d.note("  presented %s", fingerprint(bad.Presented))
	d.note("  expected  %s", fingerprint(bad.Expected[0]))

	after, err := os.ReadFile(d.knownHosts)
	if err != nil {
		return err
	}
	if !bytes.Equal(after, forged) {
		return fmt.Errorf("known_hosts was changed by the refused connect: %q", after)
	}
	d.note("known_hosts left as it was; then restored for the next steps")
	return nil
}

func sameKey(a, b ssh.PublicKey) bool {
	return a != nil && b != nil && bytes.Equal(a.Marshal(), b.Marshal())
}
