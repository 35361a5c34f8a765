package knownhosts

import (
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// caSignatureAlgorithms is OpenSSH's default CASignatureAlgorithms: the
// signature algorithms a CA may have used on a certificate. ssh-rsa
// (RSA with SHA-1) has not been accepted since OpenSSH 8.2.
var caSignatureAlgorithms = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// certKeyTypes are the certificate key types a CA can vouch for: the CA
// signs the host's key whatever its type, so a trusted CA makes every
// certificate type acceptable (OpenSSH's order_hostkeyalgs prefers all
// of them when a @cert-authority line matches).
var certKeyTypes = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
	ssh.CertAlgoSKED25519v01, ssh.CertAlgoSKECDSA256v01,
	ssh.CertAlgoRSAv01,
}

// checkHostCert returns why cert, signed by a CA trusted for the host,
// is not a valid certificate for the host name (without port) at now,
// or "" if it is. The checks are OpenSSH's sshkey_cert_check_host with
// the client's defaults.
func checkHostCert(cert *ssh.Certificate, name string, now time.Time) string {
	if _, ok := cert.SignatureKey.(*ssh.Certificate); ok {
		return "signed by a certificate, not a CA key"
	}
	if cert.Signature == nil {
		return "not signed"
	}
	if !slices.Contains(caSignatureAlgorithms, cert.Signature.Format) {
		return fmt.Sprintf("signed with disallowed algorithm %s", cert.Signature.Format)
	}
	t := uint64(now.Unix())
	switch {
	case cert.CertType != ssh.HostCert:
		return "not a host certificate"
	case t < cert.ValidAfter:
		return "not yet valid"
	case t >= cert.ValidBefore:
		return "expired"
	case len(cert.ValidPrincipals) == 0:
		// OpenSSH 9.2 and golang.org/x/crypto/ssh take an empty list as
		// "any host"; current OpenSSH refuses such certificates.
		return "certificate lacks principal list"
	case !slices.Contains(cert.ValidPrincipals, name):
		return fmt.Sprintf("name %q is not a listed principal %q", name, cert.ValidPrincipals)
	case len(cert.CriticalOptions) > 0:
		return "certificate contains unsupported critical options"
	}
	// CheckCert verifies the signature. Its own checks are weaker than
	// the ones above, which the certificate has passed.
	checker := ssh.CertChecker{Clock: func() time.Time { return now }}
	if err := checker.CheckCert(name, cert); err != nil {
		return err.Error()
	}
	return ""
}
