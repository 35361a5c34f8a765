package transport

import "slices"

// PreferHostKeyAlgorithms returns prefs with the algorithms that produce a
// key of one of knownKeyTypes moved to the front, each group keeping its
// order. A server with several host keys presents the one its first
// matching algorithm names, so a client that already knows the host's
// ECDSA key must ask for ECDSA first; otherwise the server presents, say,
// its Ed25519 key, which the client cannot match and must report as
// changed (golang/go#29286).
//
// knownKeyTypes are key types as ssh.PublicKey.Type returns them:
// "ssh-rsa" selects rsa-sha2-512, rsa-sha2-256 and ssh-rsa;
// "ssh-ed25519-cert-v01@openssh.com" selects certificate algorithms (for a
// host with a known certificate authority). With none known, prefs
// itself is returned.
func PreferHostKeyAlgorithms(prefs, knownKeyTypes []string) []string {
	known := func(alg string) bool {
		keyType, _ := hostKeyFormats(alg)
		return slices.Contains(knownKeyTypes, keyType)
	}
	if len(knownKeyTypes) == 0 {
		return prefs
	}
	out := make([]string, 0, len(prefs))
	for _, a := range prefs {
		if known(a) {
			out = append(out, a)
		}
	}
	for _, a := range prefs {
		if !known(a) {
			out = append(out, a)
		}
	}
	return out
}
