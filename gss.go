package amiko

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/amiko-ssh/amiko/internal/auth"
)

// GSSAPIError is a GSS-API failure in gssapi-with-mic: no ticket, an
// unknown server principal, or the server's own GSS-API error. The
// cascade notes it and goes on with the next method.
type GSSAPIError = auth.GSSAPIError

// tryGSSAPI runs gssapi-with-mic.
func (a *cascade) tryGSSAPI(opts *ConnectOptions) (bool, error) {
	target := a.gssTarget
	a.log.Debug("ssh: trying gssapi-with-mic", "target", target, "delegate", !opts.DisableGSSDelegation)
	ctx := a.ctx
	if a.clock.timeout > 0 {
		// The KDC's answers are waits too.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.clock.timeout)
		defer cancel()
	}
	err := auth.GSSAPIWithMIC(ctx, a.at, a.user, opts.GSSMechanism, target, !opts.DisableGSSDelegation)
	var ge *auth.GSSAPIError
	var fe *auth.FailureError
	if errors.As(err, &ge) && !errors.As(err, &fe) {
		// Our side failed before the server decided: usually before
		// anything was sent (no ticket); midway, the next method's
		// request replaces the abandoned exchange, as OpenSSH allows.
		a.note("gssapi-with-mic", target, err)
		return false, nil
	}
	if errors.As(err, &ge) {
		a.note("gssapi-with-mic", target, err)
		a.allowed = fe.Methods
		return false, nil
	}
	return a.result("gssapi-with-mic", target, err)
}

// gssTarget is the host name in the GSS-API service name: GSSHost if
// given, else the host name, canonicalized by DNS unless
// DisableGSSTrustDNS (paramiko's gss_trust_dns: socket.getfqdn). A name
// DNS cannot canonicalize is used as given.
func gssTarget(ctx context.Context, hostname string, opts *ConnectOptions) string {
	if opts.GSSHost != "" {
		return opts.GSSHost
	}
	if opts.DisableGSSTrustDNS {
		return hostname
	}
	if net.ParseIP(hostname) != nil {
		if names, err := net.DefaultResolver.LookupAddr(ctx, hostname); err == nil && len(names) > 0 {
			return strings.TrimSuffix(names[0], ".")
		}
		return hostname
	}
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, hostname); err == nil && cname != "" {
		return strings.TrimSuffix(cname, ".")
	}
	return hostname
}
