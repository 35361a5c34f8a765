//go:build cgo && amiko_gssapi

package system

import (
	"context"
	"encoding/asn1"
	"errors"
	"runtime"

	"github.com/amiko-ssh/amiko/gssapi"
)

// mechanism is Kerberos 5 through the system's GSS-API library. It
// holds nothing: the library finds krb5.conf and the credentials anew on
// each call, so it is safe for concurrent use.
type mechanism struct{}

// ErrNoKerberos is New's error when the system's GSS-API library does not
// offer the Kerberos 5 mechanism (a broken /etc/gss/mech, say).
var ErrNoKerberos = errors.New("system gssapi: the GSS-API library has no Kerberos 5 mechanism")

// New returns the Kerberos 5 mechanism of the system's GSS-API library.
// It only checks that the library has Kerberos 5: credentials are looked
// for by each InitSecContext (the library's default credentials, from
// KRB5CCNAME or krb5.conf's default_ccache_name), so a kinit in between
// is seen.
func New() (gssapi.Mechanism, error) {
	ok, st := hasKerberos()
	if st.failed() {
		return nil, statusError("gss_indicate_mechs", st, phaseOther)
	}
	if !ok {
		return nil, ErrNoKerberos
	}
	return mechanism{}, nil
}

// OID is Kerberos 5's.
func (mechanism) OID() asn1.ObjectIdentifier { return gssapi.OIDKerberos5 }

// InitSecContext imports target as a GSS_C_NT_HOSTBASED_SERVICE name;
// the library is first asked for a context by the first Step, which is
// where a missing ticket or an unknown service principal shows, and
// which asks the KDC for the service ticket: ctx bounds that call.
func (mechanism) InitSecContext(ctx context.Context, target string, opts gssapi.ContextOptions) (gssapi.Context, error) {
	h := &handles{}
	if st := h.importName(target); st.failed() {
		h.release()
		return nil, statusError("gss_import_name", st, phaseFirst)
	}
	flags := flagMutual | flagInteg
	if opts.Delegate {
		flags |= flagDeleg
	}
	c := &secContext{h: h, flags: flags, start: ctx}
	// A context dropped without Close (by a caller's bug) still frees
	// its C memory once collected; Close stops this.
	c.cleanup = runtime.AddCleanup(c, func(h *handles) { h.release() }, h)
	return c, nil
}
