package amiko

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/knownhosts"
)

// RevokedHostKeyError reports a host key, or the authority that signed
// it, listed as @revoked in known_hosts. It is refused whatever the policy.
type RevokedHostKeyError = knownhosts.RevokedError

// HostCertificateError reports a host certificate signed by an authority
// trusted for the host that is not valid for it (expired, another
// principal, a user certificate, a SHA-1 signature). Unlike OpenSSH, which
// then treats the host as new, amiko refuses it whatever the policy, so
// that no auto-add trusts a host holding another host's certificate.
type HostCertificateError = knownhosts.CertificateError

// KnownHostsFile is a HostKeyStore backed by an OpenSSH known_hosts file:
// hashed names, patterns and negation, [host]:port entries,
// @cert-authority and @revoked lines. Saving keeps every line it did not
// add exactly as it was (paramiko rewrites the whole file), appends new
// keys as OpenSSH does, and never leaves a broken file behind. It is safe
// for concurrent use by many clients.
//
// Loading a second file into a Client (LoadHostKeys or LoadSystemHostKeys
// again) merges it with the first, as paramiko does: both are consulted,
// and keys are added to the file loaded last.
type KnownHostsFile struct {
	f *knownhosts.File // where Add writes
	// earlier are files loaded before f into the same store, consulted
	// and never written.
	earlier []*knownhosts.File
	// HashNames writes added host names hashed, as OpenSSH's
	// HashKnownHosts does.
	HashNames bool
}

// LoadKnownHosts reads a known_hosts file. A missing file is an empty
// store that Add will create.
func LoadKnownHosts(path string) (*KnownHostsFile, error) {
	f, err := knownhosts.Load(path)
	if err != nil {
		return nil, err
	}
	return &KnownHostsFile{f: f}, nil
}

// Path returns the file's path.
func (k *KnownHostsFile) Path() string { return k.f.Path() }

// Check implements HostKeyStore.
func (k *KnownHostsFile) Check(host string, key ssh.PublicKey) error {
	err := knownhosts.Check(host, key, k.files()...)
	var mismatch *knownhosts.KeyMismatchError
	var unknown *knownhosts.UnknownHostError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mismatch):
		return &BadHostKeyError{Host: host, Presented: key, Expected: mismatch.Known}
	case errors.As(err, &unknown):
		return &UnknownHostError{Host: host, Key: key}
	}
	return asSSHError(err)
}

// files returns the store's files in the order they were loaded.
func (k *KnownHostsFile) files() []*knownhosts.File {
	return append(slices.Clip(k.earlier), k.f)
}

// KnownKeyTypes implements HostKeyStore.
func (k *KnownHostsFile) KnownKeyTypes(host string) []string {
	return knownhosts.KnownKeyTypes(host, k.files()...)
}

// NewKnownHosts returns an empty store held in memory only.
func NewKnownHosts() *KnownHostsFile {
	f, _ := knownhosts.Parse(nil)
	return &KnownHostsFile{f: f}
}

// Add implements HostKeyStore: it appends a line for host and, for a
// store loaded from a file, saves the file.
func (k *KnownHostsFile) Add(host string, key ssh.PublicKey) error {
	if err := k.f.Add(host, key, k.HashNames); err != nil {
		return err
	}
	if k.f.Path() == "" {
		return nil
	}
	return k.f.Save()
}

// Save writes the file: lines it did not add are kept as they were.
func (k *KnownHostsFile) Save() error { return k.f.Save() }

// defaultKnownHosts is ~/.ssh/known_hosts.
func defaultKnownHosts() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".ssh", "known_hosts"), nil
}

// LoadSystemHostKeys loads the system host keys from path, or from
// ~/.ssh/known_hosts when path is "" (a missing default file is not an
// error, as in paramiko). They are never written. Loading again adds the
// file's keys to those loaded before.
func (c *Client) LoadSystemHostKeys(path string) error {
	if path == "" {
		var err error
		if path, err = defaultKnownHosts(); err != nil {
			return err
		}
	} else if _, err := os.Stat(path); err != nil {
		return err
	}
	k, err := LoadKnownHosts(path)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.systemHostKeys = mergeKnownHosts(c.systemHostKeys, k)
	c.mu.Unlock()
	return nil
}

// LoadHostKeys loads the local host keys from path, which is remembered:
// keys that AutoAddPolicy adds are saved there. Loading another file adds
// its keys to those loaded before, and new keys go to the file loaded
// last, as in paramiko (which, unlike amiko, then writes every local key
// into that file).
func (c *Client) LoadHostKeys(path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	k, err := LoadKnownHosts(path)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.hostKeys = mergeKnownHosts(c.hostKeys, k)
	c.mu.Unlock()
	return nil
}

// mergeKnownHosts returns a store of loaded and the files of prev before
// it, as paramiko's load_host_keys adds to the keys already loaded; a
// store of another kind (SetHostKeys) is replaced.
func mergeKnownHosts(prev HostKeyStore, loaded *KnownHostsFile) HostKeyStore {
	p, ok := prev.(*KnownHostsFile)
	if !ok || p == nil {
		return loaded
	}
	// A new value: clients sharing p keep what they had.
	return &KnownHostsFile{f: loaded.f, earlier: p.files(), HashNames: p.HashNames}
}

// SaveHostKeys saves the local host keys to the file they were loaded
// from.
func (c *Client) SaveHostKeys() error {
	c.mu.Lock()
	s := c.hostKeys
	c.mu.Unlock()
	k, ok := s.(*KnownHostsFile)
	if !ok {
		return fmt.Errorf("ssh: the local host keys were not loaded from a file")
	}
	return k.Save()
}

// HostKeys returns the local host key store (nil until loaded or set).
func (c *Client) HostKeys() HostKeyStore {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hostKeys
}
