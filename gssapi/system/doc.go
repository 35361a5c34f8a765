//go:build cgo && amiko_gssapi

// Package system is amiko's second GSS-API mechanism: Kerberos 5 through
// the system's GSS-API library (MIT krb5's libgssapi_krb5) with cgo, for
// gssapi-with-mic user authentication and GSS-API key exchange
// (RFC 4462).
//
//	mech, err := system.New()
//	// ConnectOptions{GSSAuth: true, GSSMechanism: mech}
//
// # Building
//
// Every file of the package carries the build constraint
// "cgo && amiko_gssapi", so amiko's default build stays pure Go
// (CGO_ENABLED=0) and never needs the C library. To use this package,
// build with cgo, the library's headers (Debian: libkrb5-dev) and
// pkg-config, and the tag:
//
//	CGO_ENABLED=1 go build -tags amiko_gssapi ./...
//
// The amiko command built so uses this mechanism instead of the pure-Go
// one.
//
// # When to use it rather than gssapi/krb5
//
// The pure-Go mechanism, package gssapi/krb5, reads krb5.conf and FILE
// credential caches itself. This one leaves everything to the library,
// so it works wherever MIT's own tools (kinit, ssh) work:
//
//   - credential caches of any type: KCM (sssd's, the default of Fedora
//     and RHEL), KEYRING, DIR, MEMORY, and default_ccache_name as the
//     site's krb5.conf sets it;
//   - cross-realm service tickets, referrals, FAST and anything else
//     the site's krb5.conf, its includes and its plugins configure;
//   - encryption types other than AES (camellia, and DES3 or RC4 where
//     the site still allows them), which the pure-Go mechanism lacks.
//
// The price is cgo and a dependency on the library at run time.
//
// # What it does
//
// InitSecContext imports "host@server" as a GSS_C_NT_HOSTBASED_SERVICE
// name; Step calls gss_init_sec_context for Kerberos 5 with the default
// credentials (GSS_C_NO_CREDENTIAL: KRB5CCNAME, else krb5.conf's, else
// the library's default cache), requesting GSS_C_MUTUAL_FLAG and
// GSS_C_INTEG_FLAG, and GSS_C_DELEG_FLAG with ContextOptions.Delegate
// (the flags OpenSSH's ssh requests). A context the library completes
// without mutual authentication or integrity is refused with
// gssapi.ErrMutualFailed. Delegated reports the GSS_C_DELEG_FLAG the
// library granted: MIT's library delegates only a forwardable TGT, and
// goes on without delegation otherwise. GetMIC and VerifyMIC are
// gss_get_mic and gss_verify_mic; Close is gss_delete_sec_context. Every
// buffer and name the library returns is released; a context dropped
// without Close is released when the garbage collector finds it.
//
// The library reads its environment (KRB5_CONFIG, KRB5CCNAME) and
// krb5.conf on each call, not once: set them before calling.
//
// # Errors
//
// Failures are *StatusError values carrying the major and minor status
// and gss_display_status's text for both. They match, with errors.Is:
//
//   - gssapi.ErrNoCredentials: GSS_S_NO_CRED, or the minor status
//     KRB5_FCC_NOFILE or KRB5_CC_NOTFOUND (no cache, no TGT in it);
//   - gssapi.ErrExpired: GSS_S_CREDENTIALS_EXPIRED, GSS_S_CONTEXT_EXPIRED,
//     or KRB5KRB_AP_ERR_TKT_EXPIRED (from the KDC or the acceptor);
//   - gssapi.ErrUnknownServer: KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN;
//   - gssapi.ErrMutualFailed: the acceptor's token is defective or fails
//     its check (GSS_S_DEFECTIVE_TOKEN, GSS_S_BAD_SIG, KRB5_MUTUAL_FAILED,
//     KRB5KRB_AP_ERR_BAD_INTEGRITY), or the flags granted lack mutual
//     authentication or integrity;
//   - gssapi.ErrBadMIC: gss_verify_mic's GSS_S_BAD_SIG or
//     GSS_S_DEFECTIVE_TOKEN, or any supplementary status.
//
// # Concurrency
//
// The mechanism is safe for concurrent use. A context is used by one
// goroutine at a time (SSH's key exchange, then its user
// authentication); calls on it are serialized, so that a misuse cannot
// free C memory under a running call, but concurrent calls are not
// meaningful.
//
// # How it differs from gssapi/krb5
//
// The context is made by the first Step, not by InitSecContext, so a
// missing ticket or an unknown server shows there; InitSecContext's
// context bounds that Step, which asks the KDC for the service ticket.
// The library's call cannot be interrupted: when the context ends first,
// Step returns its error and the call finishes on a goroutine of its own. As OpenSSH requests
// neither GSS_C_SEQUENCE_FLAG nor GSS_C_REPLAY_FLAG, MIT's library checks
// no sequence numbers on MICs: a replayed MIC verifies, where the pure-Go
// mechanism refuses it (SSH verifies one MIC per context, so this changes
// nothing there). The library stores the service tickets it gets in the
// credential cache, as kinit's tools do; the pure-Go mechanism never
// writes the cache.
package system
