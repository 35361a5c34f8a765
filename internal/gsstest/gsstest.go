// Package gsstest is a GSS-API mechanism for tests of the protocol above
// it: one round trip, a token of "ap-req" answered by "ap-rep", and a
// MIC that is "mic:" followed by the data. Its acceptor side fits
// golang.org/x/crypto/ssh's GSSAPIServer, so amiko's gssapi-with-mic can
// be checked against x/crypto's independent server code. MITAcceptor
// drives a real MIT GSS-API acceptor, for the tests of the real
// mechanisms.
package gsstest

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"sync"

	"github.com/amiko-ssh/amiko/gssapi"
)

// Mechanism is the initiator. InitErr, if set, fails InitSecContext.
type Mechanism struct {
	InitErr error
	// Unanswered makes InitSecContext wait until its context ends and
	// return the context's error, as a mechanism whose KDC never
	// answers would. A test waits for Asked before it ends the context,
	// so that the context's end, not how long the steps before took,
	// decides what the test sees.
	Unanswered bool
	// Target and Delegate record the last InitSecContext call.
	Target   string
	Delegate bool

	mu     sync.Mutex
	asked  chan struct{} // closed by the first InitSecContext call
	closed bool
}

// Asked returns a channel closed once InitSecContext has been called,
// with Target and Delegate recorded.
func (m *Mechanism) Asked() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.asked == nil {
		m.asked = make(chan struct{})
	}
	return m.asked
}

// OID claims to be Kerberos 5, which is what servers offer.
func (m *Mechanism) OID() asn1.ObjectIdentifier { return gssapi.OIDKerberos5 }

// InitSecContext starts a context.
func (m *Mechanism) InitSecContext(ctx context.Context, target string, o gssapi.ContextOptions) (gssapi.Context, error) {
	m.mu.Lock()
	m.Target, m.Delegate = target, o.Delegate
	if m.asked == nil {
		m.asked = make(chan struct{})
	}
	if !m.closed {
		close(m.asked)
		m.closed = true
	}
	m.mu.Unlock()
	if m.Unanswered {
		<-ctx.Done()
		return nil, fmt.Errorf("gsstest: no answer from the KDC: %w", context.Cause(ctx))
	}
	if m.InitErr != nil {
		return nil, m.InitErr
	}
	return &secContext{delegate: o.Delegate}, nil
}

type secContext struct {
	steps    int
	delegate bool
}

func (c *secContext) Step(in []byte) ([]byte, bool, error) {
	c.steps++
	switch {
	case c.steps == 1 && in == nil:
		return []byte("ap-req"), false, nil
	case c.steps == 2 && string(in) == "ap-rep":
		return nil, true, nil
	}
	return nil, false, gssapi.ErrMutualFailed
}

func (c *secContext) GetMIC(msg []byte) ([]byte, error) { return MIC(msg), nil }

func (c *secContext) VerifyMIC(msg, mic []byte) error {
	if !bytes.Equal(mic, MIC(msg)) {
		return gssapi.ErrBadMIC
	}
	return nil
}

func (c *secContext) Delegated() bool { return c.delegate }
func (c *secContext) Close() error    { return nil }

// MIC is the fake MIC of msg.
func MIC(msg []byte) []byte { return append([]byte("mic:"), msg...) }

// Acceptor is the server side, shaped as x/crypto/ssh's GSSAPIServer.
// Name is the client principal it reports.
type Acceptor struct {
	Name string
}

// AcceptSecContext answers "ap-req" with "ap-rep".
func (a *Acceptor) AcceptSecContext(token []byte) ([]byte, string, bool, error) {
	if string(token) != "ap-req" {
		return nil, "", false, errors.New("gsstest: unexpected token")
	}
	return []byte("ap-rep"), a.Name, false, nil
}

// VerifyMIC checks the fake MIC.
func (a *Acceptor) VerifyMIC(micField, micToken []byte) error {
	if !bytes.Equal(micToken, MIC(micField)) {
		return gssapi.ErrBadMIC
	}
	return nil
}

// DeleteSecContext does nothing.
func (a *Acceptor) DeleteSecContext() error { return nil }
