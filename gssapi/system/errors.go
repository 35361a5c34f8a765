//go:build cgo && amiko_gssapi

package system

import (
	"fmt"
	"strings"

	"github.com/amiko-ssh/amiko/gssapi"
)

// StatusError is a failure the system's GSS-API library reported: the
// call, its major and minor status, and the library's own text for them
// (gss_display_status). It matches the gssapi package's errors with
// errors.Is when the status says which (see the package doc).
type StatusError struct {
	// Call is the GSS-API function that failed, "gss_init_sec_context"
	// for example.
	Call string
	// Major is the GSS-API status (RFC 2744 section 3.9.1); Minor the
	// Kerberos mechanism's, a krb5 com_err code as the library returns
	// it (MIT's mechanism glue keeps a mechanism's codes, but renumbers
	// a zero one).
	Major, Minor uint32
	// Message is the library's text for both.
	Message string

	kind error // a gssapi error, or nil
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("system gssapi: %s: %s (major %#x, minor %d)", e.Call, e.Message, e.Major, int32(e.Minor))
}

// Unwrap returns the gssapi error the status maps to, if any.
func (e *StatusError) Unwrap() error { return e.kind }

// The phases of a context whose failures are told apart.
type phase int

const (
	phaseFirst  phase = iota // the first gss_init_sec_context: credentials, service ticket
	phaseReply               // a later one: the acceptor's token, mutual authentication
	phaseVerify              // gss_verify_mic
	phaseOther
)

// statusError turns a failed status into a *StatusError with the
// library's text and the gssapi error it means.
func statusError(call string, st status, ph phase) error {
	texts := displayStatus(st.major, false)
	if st.minor != 0 {
		for _, text := range displayStatus(st.minor, true) {
			// MIT's mechanism glue renumbers a mechanism's zero minor
			// status, whose text is then a misleading "Success".
			if text != "Success" {
				texts = append(texts, text)
			}
		}
	}
	msg := strings.Join(texts, ": ")
	if msg == "" {
		msg = "unknown failure"
	}
	return &StatusError{Call: call, Major: st.major, Minor: st.minor, Message: msg, kind: classify(st, ph)}
}

// classify maps a status to a gssapi error. Kerberos' reasons come as
// minor statuses under GSS_S_FAILURE, so both are looked at; the
// credential and expiry reasons come first as they can show in any
// phase.
func classify(st status, ph phase) error {
	routine := st.major & routineErrorMask
	minor := int32(st.minor)
	switch {
	case routine == statusCredExpired || routine == statusContextExpired || minor == krb5APErrTktExpired:
		return gssapi.ErrExpired
	case routine == statusNoCred || minor == krb5FCCNoFile || minor == krb5CCNotFound:
		return gssapi.ErrNoCredentials
	case minor == krb5KDCErrSPrincipalUnkwn:
		return gssapi.ErrUnknownServer
	}
	switch ph {
	case phaseReply:
		// An AP-REP that does not parse, does not decrypt with the
		// session key, or answers another authenticator.
		if routine == statusDefectiveToken || routine == statusBadSig ||
			minor == krb5MutualFailed || minor == krb5APErrBadIntegrity {
			return gssapi.ErrMutualFailed
		}
	case phaseVerify:
		if routine == statusBadSig || routine == statusDefectiveToken ||
			st.major&(statusDuplicate|statusOld|statusUnseq|statusGap) != 0 {
			return gssapi.ErrBadMIC
		}
	}
	return nil
}
