//go:build cgo && amiko_gssapi

package system

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/amiko-ssh/amiko/gssapi"
)

// secContext is a Kerberos 5 security context of the system's library.
//
// It is meant for one goroutine at a time, as SSH uses a context: the
// key exchange, then the user authentication. The mutex does not make
// concurrent use meaningful (the MICs' sequence numbers would follow the
// calls' order); it keeps a misuse, such as Close during a VerifyMIC,
// from freeing C memory under a running call.
type secContext struct {
	mu      sync.Mutex
	h       *handles
	cleanup runtime.Cleanup
	flags   uint32 // requested
	state   contextState
	// start is InitSecContext's context, which bounds the first Step:
	// the library asks the KDC for the service ticket there.
	start context.Context

	retFlags uint32 // granted, from the last gss_init_sec_context
}

type contextState int

const (
	stateNew         contextState = iota // the first token is to be made
	stateSent                            // waiting for the acceptor's token
	stateEstablished                     // MICs may flow
	stateFailed
	stateClosed
)

var errState = errors.New("system gssapi: context used out of order")

// Step calls gss_init_sec_context: first with no input token, then with
// the acceptor's. When the library says the context is complete, mutual
// authentication and integrity must have been granted.
func (c *secContext) Step(input []byte) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ph := phaseReply
	switch c.state {
	case stateNew:
		if input != nil {
			return nil, false, fmt.Errorf("%w: a token from the acceptor before the first token was made", errState)
		}
		ph = phaseFirst
	case stateSent:
		if input == nil {
			return nil, false, fmt.Errorf("%w: no token from the acceptor", errState)
		}
	case stateEstablished:
		return nil, true, fmt.Errorf("%w: the context is already established", errState)
	default:
		return nil, false, fmt.Errorf("%w: the context failed or was closed", errState)
	}
	var out []byte
	var retFlags uint32
	var st status
	if ph == phaseFirst {
		var err error
		if out, retFlags, st, err = c.firstCall(); err != nil {
			return nil, false, err
		}
		c.start = nil
	} else {
		out, retFlags, st = c.h.initSecContext(c.flags, input)
	}
	if st.failed() {
		c.fail()
		return nil, false, statusError("gss_init_sec_context", st, ph)
	}
	c.retFlags = retFlags
	if st.major&statusContinue != 0 {
		c.state = stateSent
		return out, false, nil
	}
	if missing := (flagMutual | flagInteg) &^ retFlags; missing != 0 {
		c.fail()
		return nil, false, fmt.Errorf("%w: the library completed the context without %s (flags granted %#x)",
			gssapi.ErrMutualFailed, flagNames(missing), retFlags)
	}
	c.state = stateEstablished
	c.h.releaseName() // only establishing needs it
	return out, true, nil
}

// firstCall makes the first gss_init_sec_context call, which may wait
// for KDCs, within c.start. The library's call cannot be interrupted:
// when the context ends first, the call is left to finish on its own
// goroutine, which then frees the handles it was given, and the
// security context fails at once.
func (c *secContext) firstCall() ([]byte, uint32, status, error) {
	if c.start.Done() == nil {
		out, retFlags, st := c.h.initSecContext(c.flags, nil)
		return out, retFlags, st, nil
	}
	if err := c.start.Err(); err != nil {
		c.fail()
		return nil, 0, status{}, fmt.Errorf("system gssapi: gss_init_sec_context: %w", context.Cause(c.start))
	}
	type result struct {
		out      []byte
		retFlags uint32
		st       status
	}
	h, flags := c.h, c.flags
	done := make(chan result, 1)
	go func() {
		out, retFlags, st := h.initSecContext(flags, nil)
		done <- result{out, retFlags, st}
	}()
	select {
	case r := <-done:
		return r.out, r.retFlags, r.st, nil
	case <-c.start.Done():
	}
	// The handles stay with the call, freed when it returns; the
	// context keeps empty ones and fails.
	go func() {
		<-done
		h.release()
	}()
	c.h = &handles{}
	c.fail()
	return nil, 0, status{}, fmt.Errorf("system gssapi: gss_init_sec_context: %w", context.Cause(c.start))
}

func flagNames(f uint32) string {
	switch f {
	case flagMutual:
		return "mutual authentication"
	case flagInteg:
		return "integrity"
	}
	return "mutual authentication and integrity"
}

// GetMIC is gss_get_mic with the default quality of protection.
func (c *secContext) GetMIC(msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateEstablished {
		return nil, fmt.Errorf("%w: GetMIC before the context is established", errState)
	}
	mic, st := c.h.getMIC(msg)
	if st.failed() {
		return nil, statusError("gss_get_mic", st, phaseOther)
	}
	return mic, nil
}

// VerifyMIC is gss_verify_mic. Any supplementary status (a duplicate or
// out-of-order token) is a failure too, though with the flags requested
// here (no replay or sequence detection, as OpenSSH asks) MIT's library
// reports none.
func (c *secContext) VerifyMIC(msg, mic []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateEstablished {
		return fmt.Errorf("%w: VerifyMIC before the context is established", errState)
	}
	if len(mic) == 0 {
		// The library takes an empty buffer for a missing argument.
		return fmt.Errorf("%w: an empty MIC token", gssapi.ErrBadMIC)
	}
	if st := c.h.verifyMIC(msg, mic); st.major != statusComplete {
		err := statusError("gss_verify_mic", st, phaseVerify)
		if !errors.Is(err, gssapi.ErrBadMIC) && !st.failed() {
			err = fmt.Errorf("%w: %w", gssapi.ErrBadMIC, err)
		}
		return err
	}
	return nil
}

// Delegated reports whether the library delegated the credentials
// (GSS_C_DELEG_FLAG among the flags it granted). MIT's library asks for
// them only with a forwardable TGT, and goes on without when the KDC
// will not forward it.
func (c *secContext) Delegated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retFlags&flagDeleg != 0
}

// Close deletes the security context and frees the target name.
func (c *secContext) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail()
	c.state = stateClosed
	return nil
}

// fail ends the context: RFC 2744 leaves a context that failed after
// its first call for the caller to delete, and that is done at once.
func (c *secContext) fail() {
	c.state = stateFailed
	c.h.release()
	c.cleanup.Stop()
}
