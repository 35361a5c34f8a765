//go:build cgo && amiko_gssapi

package system

/*
#cgo pkg-config: krb5-gssapi
#include <stdlib.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

// The helpers build gss_buffer_desc values on the C side: a descriptor
// made in Go and pointing at Go memory could not be passed to C (cgo
// forbids Go pointers inside the memory a Go pointer points to).

static int amiko_has_krb5(OM_uint32 *major, OM_uint32 *minor) {
	gss_OID_set set = GSS_C_NO_OID_SET;
	int present = 0;
	OM_uint32 m;
	*major = gss_indicate_mechs(minor, &set);
	if (GSS_ERROR(*major))
		return 0;
	if (GSS_ERROR(gss_test_oid_set_member(&m, gss_mech_krb5, set, &present)))
		present = 0;
	gss_release_oid_set(&m, &set);
	return present;
}

static OM_uint32 amiko_import_name(OM_uint32 *minor, const char *s, size_t n, gss_name_t *name) {
	gss_buffer_desc b = { n, (void *)s };
	return gss_import_name(minor, &b, GSS_C_NT_HOSTBASED_SERVICE, name);
}

static OM_uint32 amiko_init_sec_context(OM_uint32 *minor, gss_ctx_id_t *ctx, gss_name_t target,
		OM_uint32 flags, const void *in, size_t inlen, gss_buffer_t out, OM_uint32 *ret_flags) {
	gss_buffer_desc input = { inlen, (void *)in };
	return gss_init_sec_context(minor, GSS_C_NO_CREDENTIAL, ctx, target, gss_mech_krb5, flags, 0,
		GSS_C_NO_CHANNEL_BINDINGS, in != NULL ? &input : GSS_C_NO_BUFFER, NULL, out, ret_flags, NULL);
}

static OM_uint32 amiko_get_mic(OM_uint32 *minor, gss_ctx_id_t ctx, const void *msg, size_t n, gss_buffer_t out) {
	gss_buffer_desc m = { n, (void *)msg };
	return gss_get_mic(minor, ctx, GSS_C_QOP_DEFAULT, &m, out);
}

static OM_uint32 amiko_verify_mic(OM_uint32 *minor, gss_ctx_id_t ctx, const void *msg, size_t n,
		const void *mic, size_t micn) {
	gss_buffer_desc m = { n, (void *)msg }, t = { micn, (void *)mic };
	return gss_verify_mic(minor, ctx, &m, &t, NULL);
}

static OM_uint32 amiko_display_status(OM_uint32 *minor, OM_uint32 code, int type,
		OM_uint32 *msgctx, gss_buffer_t out) {
	return gss_display_status(minor, code, type, gss_mech_krb5, msgctx, out);
}

static void amiko_delete(gss_ctx_id_t *ctx) {
	OM_uint32 m;
	gss_delete_sec_context(&m, ctx, GSS_C_NO_BUFFER);
}

static void amiko_release_name(gss_name_t *name) {
	OM_uint32 m;
	gss_release_name(&m, name);
}

static void amiko_release_buffer(gss_buffer_t b) {
	OM_uint32 m;
	gss_release_buffer(&m, b);
}
*/
import "C"

import (
	"unsafe"
)

// This file is the whole of the cgo surface: thin Go functions over the
// C library, each releasing the C memory it received before returning,
// so that the rest of the package deals in Go values and two handles.

// status is a GSS-API call's major and minor status.
type status struct {
	major, minor uint32
}

// The status values and flags of RFC 2744, from the library's header.
const (
	statusComplete       = uint32(C.GSS_S_COMPLETE)
	statusContinue       = uint32(C.GSS_S_CONTINUE_NEEDED)
	statusBadSig         = uint32(C.GSS_S_BAD_SIG)
	statusDefectiveToken = uint32(C.GSS_S_DEFECTIVE_TOKEN)
	statusNoCred         = uint32(C.GSS_S_NO_CRED)
	statusCredExpired    = uint32(C.GSS_S_CREDENTIALS_EXPIRED)
	statusContextExpired = uint32(C.GSS_S_CONTEXT_EXPIRED)
	statusDuplicate      = uint32(C.GSS_S_DUPLICATE_TOKEN)
	statusOld            = uint32(C.GSS_S_OLD_TOKEN)
	statusUnseq          = uint32(C.GSS_S_UNSEQ_TOKEN)
	statusGap            = uint32(C.GSS_S_GAP_TOKEN)

	routineErrorMask = uint32(C.GSS_C_ROUTINE_ERROR_MASK) << C.GSS_C_ROUTINE_ERROR_OFFSET
	callingErrorMask = uint32(C.GSS_C_CALLING_ERROR_MASK) << C.GSS_C_CALLING_ERROR_OFFSET

	flagDeleg  = uint32(C.GSS_C_DELEG_FLAG)
	flagMutual = uint32(C.GSS_C_MUTUAL_FLAG)
	flagInteg  = uint32(C.GSS_C_INTEG_FLAG)
)

// The Kerberos minor statuses the errors are mapped from (krb5.h's
// com_err codes; the library passes them through as minor statuses).
const (
	krb5FCCNoFile             = int32(C.KRB5_FCC_NOFILE)
	krb5CCNotFound            = int32(C.KRB5_CC_NOTFOUND)
	krb5APErrTktExpired       = int32(C.KRB5KRB_AP_ERR_TKT_EXPIRED)
	krb5KDCErrSPrincipalUnkwn = int32(C.KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN)
	krb5MutualFailed          = int32(C.KRB5_MUTUAL_FAILED)
	krb5APErrBadIntegrity     = int32(C.KRB5KRB_AP_ERR_BAD_INTEGRITY)
)

func (s status) failed() bool { return s.major&(routineErrorMask|callingErrorMask) != 0 }

// handles are the C objects of one context: its target name and its
// security context. Their zero values are GSS_C_NO_NAME and
// GSS_C_NO_CONTEXT.
type handles struct {
	name C.gss_name_t
	ctx  C.gss_ctx_id_t
}

// release frees what h holds; it may be called again.
func (h *handles) release() {
	h.releaseName()
	if h.ctx != nil {
		C.amiko_delete(&h.ctx)
		h.ctx = nil
	}
}

func (h *handles) releaseName() {
	if h.name != nil {
		C.amiko_release_name(&h.name)
		h.name = nil
	}
}

// hasKerberos reports whether the library offers the Kerberos 5
// mechanism.
func hasKerberos() (bool, status) {
	var major, minor C.OM_uint32
	ok := C.amiko_has_krb5(&major, &minor) != 0
	return ok, status{uint32(major), uint32(minor)}
}

// importName sets h.name to the host-based service name target.
func (h *handles) importName(target string) status {
	var minor C.OM_uint32
	s := C.CString(target)
	defer C.free(unsafe.Pointer(s))
	major := C.amiko_import_name(&minor, s, C.size_t(len(target)), &h.name)
	return status{uint32(major), uint32(minor)}
}

// initSecContext is one call of gss_init_sec_context with the default
// credentials; input nil is the first call.
func (h *handles) initSecContext(flags uint32, input []byte) (out []byte, retFlags uint32, st status) {
	var minor, ret C.OM_uint32
	var buf C.gss_buffer_desc
	in, n := bytesArg(input)
	major := C.amiko_init_sec_context(&minor, &h.ctx, h.name, C.OM_uint32(flags), in, n, &buf, &ret)
	out = takeBuffer(&buf)
	return out, uint32(ret), status{uint32(major), uint32(minor)}
}

func (h *handles) getMIC(msg []byte) ([]byte, status) {
	var minor C.OM_uint32
	var buf C.gss_buffer_desc
	m, n := bytesArg(msg)
	major := C.amiko_get_mic(&minor, h.ctx, m, n, &buf)
	return takeBuffer(&buf), status{uint32(major), uint32(minor)}
}

func (h *handles) verifyMIC(msg, mic []byte) status {
	var minor C.OM_uint32
	m, n := bytesArg(msg)
	t, tn := bytesArg(mic)
	major := C.amiko_verify_mic(&minor, h.ctx, m, n, t, tn)
	return status{uint32(major), uint32(minor)}
}

// bytesArg passes b to C for the duration of a call. An empty slice is
// a valid empty message, so it is not NULL (NULL means no token) unless
// b is nil.
func bytesArg(b []byte) (unsafe.Pointer, C.size_t) {
	if b == nil {
		return nil, 0
	}
	if len(b) == 0 {
		return unsafe.Pointer(&emptyByte), 0
	}
	return unsafe.Pointer(&b[0]), C.size_t(len(b))
}

var emptyByte byte

// takeBuffer copies a buffer the library returned into Go memory and
// releases it; nil when empty.
func takeBuffer(buf *C.gss_buffer_desc) []byte {
	defer C.amiko_release_buffer(buf)
	if buf.length == 0 || buf.value == nil {
		return nil
	}
	return C.GoBytes(buf.value, C.int(buf.length))
}

// displayStatus is gss_display_status's text for code, of the GSS-API
// (major) or of the Kerberos mechanism (minor).
func displayStatus(code uint32, mech bool) []string {
	typ := C.int(C.GSS_C_GSS_CODE)
	if mech {
		typ = C.GSS_C_MECH_CODE
	}
	var texts []string
	var msgCtx C.OM_uint32
	// A major status holds up to three messages (calling error, routine
	// error, supplementary bits); the bound guards against a library
	// that never clears the message context.
	for range 8 {
		var minor C.OM_uint32
		var buf C.gss_buffer_desc
		major := C.amiko_display_status(&minor, C.OM_uint32(code), typ, &msgCtx, &buf)
		text := takeBuffer(&buf)
		if status := (status{uint32(major), uint32(minor)}); status.failed() {
			break
		}
		if len(text) > 0 {
			texts = append(texts, string(text))
		}
		if msgCtx == 0 {
			break
		}
	}
	return texts
}
