package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/amiko-ssh/amiko"
)

// Steps 4 and 5: user authentication, seen from both sides: the
// client's log (Client.SetLogger) and what the server accepted.

// keyAuth is step 4: the key file the server authorizes, given as
// KeyFilenames, authenticates at the first attempt.
func (d *demo) keyAuth(ctx context.Context) error {
	opts := d.options()
	opts.KeyFilenames = []string{d.keyFile}
	c, log, server, err := d.connectLogged(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	d.noteAuth(log, server)
	if !slices.Equal(server, []string{"publickey accepted"}) {
		return fmt.Errorf("the server saw %v, want the key accepted at once", server)
	}
	ci, ok := c.ConnInfo()
	if !ok {
		return fmt.Errorf("no ConnInfo after Connect")
	}
	a := ci.Algorithms
	d.note("ConnInfo: server %s, kex %s, host key %s, cipher %s", ci.ServerVersion, a.Kex, a.HostKey, a.CipherOut)
	d.note("ConnInfo.AuthMethod: %s", ci.AuthMethod)
	if !strings.HasPrefix(ci.AuthMethod, "publickey") {
		return fmt.Errorf("ConnInfo.AuthMethod %q, want publickey", ci.AuthMethod)
	}
	return nil
}

// passwordFallback is step 5: a key the server refuses, then the
// password. The refused key is one attempt of the cascade, not an error:
// Connect succeeds, with no *amiko.AuthenticationError.
func (d *demo) passwordFallback(ctx context.Context) error {
	opts := d.options()
	opts.KeyFilenames = []string{d.otherKey}
	opts.Password = d.password
	c, log, server, err := d.connectLogged(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	d.noteAuth(log, server)
	if !slices.Equal(server, []string{"publickey refused", "password accepted"}) {
		return fmt.Errorf("the server saw %v, want the key refused and the password accepted", server)
	}
	ci, _ := c.ConnInfo()
	d.note("Connect returned nil: no *amiko.AuthenticationError; ConnInfo.AuthMethod: %s", ci.AuthMethod)
	if ci.AuthMethod != "password" {
		return fmt.Errorf("ConnInfo.AuthMethod %q, want password", ci.AuthMethod)
	}
	return nil
}

// connectLogged connects a client that knows the host, logging to a
// clientLog, and returns the authentication attempts the server saw.
func (d *demo) connectLogged(ctx context.Context, opts *amiko.ConnectOptions) (*amiko.Client, *clientLog, []string, error) {
	c, err := d.knownClient()
	if err != nil {
		return nil, nil, nil, err
	}
	log := &clientLog{}
	c.SetLogger(log.logger())
	d.srv.takeAuthLog() // only this connect's attempts
	err = c.Connect(ctx, "127.0.0.1", opts)
	server := d.srv.takeAuthLog()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connecting: %w (the server saw %v)", err, server)
	}
	return c, log, server, nil
}

// noteAuth reports the client's attempts, as it logged them, and the
// server's answers.
func (d *demo) noteAuth(log *clientLog, server []string) {
	for _, l := range log.lines("ssh: trying") {
		// The temporary directory is named once at the start; every
		// line is at debug level.
		l = strings.TrimPrefix(l, "level=DEBUG ")
		d.note("client log: %s", strings.ReplaceAll(l, d.dir+string(filepath.Separator), ""))
	}
	d.note("server: %s", strings.Join(server, ", "))
}
