package main

import (
	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/krb5"
)

// newGSSMechanism makes the GSS-API mechanism for GSSAPIAuthentication
// and GSSAPIKeyExchange: Kerberos in pure Go, from KRB5_CONFIG and
// KRB5CCNAME. A binary built with -tags amiko_gssapi (and cgo) uses the
// system's GSS-API library instead (gss_system.go).
var newGSSMechanism = func() (gssapi.Mechanism, error) { return krb5.New() }
