// Package krb5 is amiko's default GSS-API mechanism: Kerberos 5 on the
// initiator's side, in pure Go (no cgo), for gssapi-with-mic user
// authentication and GSS-API key exchange (RFC 4462).
//
//	mech, err := krb5.New()
//	// ConnectOptions{GSSAuth: true, GSSMechanism: mech}
//
// # What it does
//
//   - Reads krb5.conf ($KRB5_CONFIG, else /etc/krb5.conf) and the FILE
//     credential cache that kinit writes ($KRB5CCNAME, else
//     default_ccache_name, else /tmp/krb5cc_<uid>).
//   - Maps the target "host@server" to host/server@REALM, the realm from
//     [domain_realm], else default_realm, else the user's own, and gets
//     a service ticket with the cache's TGT (a TGS exchange with the
//     KDC over UDP or TCP; the cache is not written to).
//   - Sends the AP-REQ framed as RFC 1964 section 1.1 says, with RFC 4121
//     section 4.1.1's checksum (flags mutual, integrity, sequence; no
//     channel bindings, as RFC 4462 uses none), a fresh subkey and a
//     random sequence number, mutual authentication required.
//   - Verifies the acceptor's AP-REP: it must decrypt with the session
//     key and echo the authenticator's time, else the error is
//     gssapi.ErrMutualFailed. A KRB-ERROR from the acceptor is reported
//     as such.
//   - Makes and checks RFC 4121 MIC tokens with the acceptor's subkey
//     when the AP-REP carried one (MIT's acceptor always does), else
//     the initiator's, with strict sequence numbers.
//   - Delegates (ContextOptions.Delegate) when the TGT is forwardable: a
//     forwarded TGT from the KDC, in a KRB-CRED encrypted in the session
//     key, inside the checksum (GSS_C_DELEG_FLAG). If the KDC will not
//     forward, the context goes on without delegation and Delegated
//     says false, as with MIT's library.
//
// The tests prove it against MIT Kerberos (1.20): a real KDC, MIT's
// GSS-API acceptor (python3-gssapi) taking the context, the MICs both
// ways, the delegated TGT (stored and used on the acceptor's side), for
// the SHA-1 and SHA-2 AES types; and OpenSSH's sshd logging a user in by
// gssapi-with-mic with it, the delegated TGT showing in the session.
//
// Errors match gssapi.ErrNoCredentials (no cache, no TGT, a cache type
// other than FILE), gssapi.ErrExpired (the TGT expired),
// gssapi.ErrUnknownServer (the KDC has no such service principal),
// gssapi.ErrMutualFailed and gssapi.ErrBadMIC, with errors.Is; the
// KDC's or acceptor's KRB-ERROR is in the chain as a gokrb5
// messages.KRBError.
//
// # What it does not do
//
//   - Credential caches other than FILE (KCM, KEYRING, DIR, MEMORY) and
//     cross-realm service tickets: use the system GSS-API library
//     mechanism. So does a site whose Kerberos needs anything else MIT's
//     library does (PKINIT, FAST, referrals, krb5.conf includes).
//   - DES, DES3 and RC4 session keys: their tokens are RFC 1964's and
//     RFC 4757's, not RFC 4121's; only aes128/aes256-cts-hmac-sha1-96
//     (RFC 3962) and aes128-cts-hmac-sha256-128/aes256-cts-hmac-sha384-192
//     (RFC 8009) are used, and only they are requested from the KDC: those
//     of default_tgs_enctypes, else MIT's default order (aes256-sha1,
//     aes128-sha1, aes256-sha2, aes128-sha2).
//   - Wrap tokens (confidentiality) and the acceptor's side: SSH needs
//     neither.
//   - Getting a TGT (kinit) or renewing one.
//
// # Why it is written over gokrb5's pieces
//
// github.com/jcmturner/gokrb5 provides the Kerberos messages, their
// encryption types, krb5.conf parsing and the MIC token encoding, which
// are used. Its client and GSS-API layers are not, because for an SSH
// initiator they fall short: they do not verify the AP-REP (so no mutual
// authentication), cannot delegate (no KRB-CRED encoder; its decoder's
// KrbCredInfo has the wrong string type for srealm), put no subkey in the
// authenticator, lose the KDC's error code, and, from a credential cache,
// try to log in again with a password when the TGT nears its end. Its
// credential cache reader panics on a truncated file, and its key size
// for aes256-cts-hmac-sha384-192 is 24 bytes instead of 32, so those are
// done here too. Each file says which part it replaces and why.
package krb5
