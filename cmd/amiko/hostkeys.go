package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/internal/knownhosts"
)

// knownHostsFiles are the known_hosts files of one invocation, shared by
// every hop: GlobalKnownHostsFile (read only) and UserKnownHostsFile, the
// first of which receives new keys.
type knownHostsFiles struct {
	all  []*knownhosts.File // global first, then user, as OpenSSH searches
	save *knownhosts.File   // the first user file; nil if there is none
	hash bool
}

// loadKnownHostsFiles reads the files the config names ("none" names
// none). Missing files are empty, as in OpenSSH; a new key creates the
// first user file.
func loadKnownHostsFiles(c *config, home string) (*knownHostsFiles, error) {
	k := &knownHostsFiles{hash: c.HashKnownHosts}
	for _, p := range c.GlobalKnownHostsFiles {
		if p == "none" {
			continue
		}
		f, err := knownhosts.Load(expandTilde(p, home))
		if err != nil {
			return nil, err
		}
		k.all = append(k.all, f)
	}
	for _, p := range c.UserKnownHostsFiles {
		if p == "none" {
			continue
		}
		f, err := knownhosts.Load(expandTilde(p, home))
		if err != nil {
			return nil, err
		}
		k.all = append(k.all, f)
		if k.save == nil {
			k.save = f
		}
	}
	return k, nil
}

// hostKeys is the amiko.HostKeyStore of one connection: every file
// searched together (so a @revoked line anywhere counts, as in OpenSSH),
// under the HostKeyAlias if one is set. With StrictHostKeyChecking=no a
// changed key is let through once the warning is out, and the connection
// is marked so that the caller switches off what OpenSSH switches off.
//
// amiko's Client checks its stores and only then its policy, and has no
// hook to accept a key that contradicts a store; this store is that hook.
type hostKeys struct {
	files        *knownHostsFiles
	alias        string
	allowChanged bool
	onChanged    func(*amiko.BadHostKeyError)

	mu      sync.Mutex
	changed bool
}

// name is the name keys are filed under: the alias if set.
func (h *hostKeys) name(host string) string {
	if h.alias != "" {
		return h.alias
	}
	return host
}

// Check implements amiko.HostKeyStore.
func (h *hostKeys) Check(host string, key ssh.PublicKey) error {
	name := h.name(host)
	err := knownhosts.Check(name, key, h.files.all...)
	var mismatch *knownhosts.KeyMismatchError
	var unknown *knownhosts.UnknownHostError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mismatch):
		bad := &amiko.BadHostKeyError{Host: name, Presented: key, Expected: mismatch.Known}
		if !h.allowChanged {
			return bad
		}
		h.mu.Lock()
		first := !h.changed
		h.changed = true
		h.mu.Unlock()
		if first && h.onChanged != nil {
			h.onChanged(bad)
		}
		return nil
	case errors.As(err, &unknown):
		return &amiko.UnknownHostError{Host: name, Key: key}
	}
	return err
}

// hostKeyChanged reports whether a changed key was let through.
func (h *hostKeys) hostKeyChanged() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// KnownKeyTypes implements amiko.HostKeyStore.
func (h *hostKeys) KnownKeyTypes(host string) []string {
	return knownhosts.KnownKeyTypes(h.name(host), h.files.all...)
}

// Add implements amiko.HostKeyStore: the key goes to the first user
// file, hashed with HashKnownHosts=yes.
func (h *hostKeys) Add(host string, key ssh.PublicKey) error {
	f := h.files.save
	if f == nil {
		return nil
	}
	if err := f.Add(h.name(host), key, h.files.hash); err != nil {
		return err
	}
	return f.Save()
}

// savePath names the file new keys go to, for messages.
func (h *hostKeys) savePath() string {
	if h.files.save == nil {
		return "(none)"
	}
	return h.files.save.Path()
}

// hostKeyPolicy is StrictHostKeyChecking for a host in no file: "yes"
// refuses (amiko.RejectPolicy), "accept-new" and "no" add the key
// (amiko.AutoAddPolicy), "ask" asks on the terminal and refuses when it
// cannot ask (BatchMode, no terminal).
type hostKeyPolicy struct {
	mode  string
	store *hostKeys
	ask   prompter // nil: cannot ask
	info  func(format string, args ...any)
}

// unknownHostError is the library's UnknownHostError with the reason the
// policy refused the host.
type unknownHostError struct {
	amiko.UnknownHostError
	why string
}

func (e *unknownHostError) Unwrap() error { return &e.UnknownHostError }

// errHostKeyDeclined is the answer "no" to the question about a new host.
var errHostKeyDeclined = errors.New("host key not accepted")

// MissingHostKey implements amiko.MissingHostKeyPolicy.
func (p *hostKeyPolicy) MissingHostKey(ctx context.Context, c *amiko.Client, host string, remote net.Addr, key ssh.PublicKey) error {
	name := p.store.name(host)
	switch p.mode {
	case "yes":
		return &unknownHostError{amiko.UnknownHostError{Host: name, Key: key}, "StrictHostKeyChecking=yes refuses unknown hosts"}
	case "ask":
		if p.ask == nil {
			return &unknownHostError{amiko.UnknownHostError{Host: name, Key: key},
				"there is no terminal to ask on (or BatchMode=yes); use StrictHostKeyChecking=accept-new to add it"}
		}
		if err := p.confirm(name, remote, key); err != nil {
			return err
		}
	}
	if err := (amiko.AutoAddPolicy{}).MissingHostKey(ctx, c, host, remote, key); err != nil {
		// As OpenSSH: the connection goes on, the key is not saved.
		p.info("Failed to add the host to the list of known hosts (%s): %v", p.store.savePath(), err)
		return nil
	}
	p.info("Warning: Permanently added '%s' (%s) to the list of known hosts.", name, keyTypeName(key))
	return nil
}

// confirm asks OpenSSH's question about a new host key.
func (p *hostKeyPolicy) confirm(name string, remote net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	q := fmt.Sprintf("The authenticity of host '%s (%s)' can't be established.\n"+
		"%s key fingerprint is %s.\n"+
		"Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
		name, remote, keyTypeName(key), fp)
	for {
		answer, err := p.ask.ReadLine(q)
		if err != nil {
			return fmt.Errorf("%w: %v", errHostKeyDeclined, err)
		}
		switch a := strings.TrimSpace(answer); {
		case strings.EqualFold(a, "yes"), a == fp:
			return nil
		case strings.EqualFold(a, "no"):
			return errHostKeyDeclined
		}
		q = "Please type 'yes', 'no' or the fingerprint: "
	}
}

// keyTypeName is OpenSSH's short name for a key type: ED25519, ECDSA,
// RSA.
func keyTypeName(k ssh.PublicKey) string {
	t := k.Type()
	if cert, ok := k.(*ssh.Certificate); ok {
		t = cert.Key.Type()
	}
	switch {
	case t == ssh.KeyAlgoED25519:
		return "ED25519"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	case t == ssh.KeyAlgoRSA:
		return "RSA"
	case t == "ssh-dss":
		return "DSA"
	}
	return t
}

// changedKeyWarning is OpenSSH's warning for a changed host key, and
// what StrictHostKeyChecking=no switches off because of it.
func changedKeyWarning(bad *amiko.BadHostKeyError, file string) string {
	const bar = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n%s\n", bar, bar)
	b.WriteString("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n")
	b.WriteString("Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n")
	b.WriteString("It is also possible that a host key has just been changed.\n")
	fmt.Fprintf(&b, "The fingerprint for the %s key sent by the remote host %s is\n%s.\n",
		keyTypeName(bad.Presented), bad.Host, ssh.FingerprintSHA256(bad.Presented))
	for _, k := range bad.Expected {
		fmt.Fprintf(&b, "Known %s key: %s\n", keyTypeName(k), ssh.FingerprintSHA256(k))
	}
	fmt.Fprintf(&b, "Please contact your system administrator.\nKnown hosts file: %s\n", file)
	b.WriteString("Password authentication is disabled to avoid man-in-the-middle attacks.\n")
	b.WriteString("Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.\n")
	b.WriteString("Agent forwarding is disabled to avoid man-in-the-middle attacks.\n")
	b.WriteString("X11 forwarding is disabled to avoid man-in-the-middle attacks.\n")
	b.WriteString("Port forwarding is disabled to avoid man-in-the-middle attacks.\n")
	return b.String()
}
