//go:build cgo && amiko_gssapi

package main

import "github.com/amiko-ssh/amiko/gssapi/system"

// Built with -tags amiko_gssapi, amiko uses the system's GSS-API library
// (MIT krb5), so every credential cache type and whatever the site's
// krb5.conf configures work, as with OpenSSH's ssh.
func init() { newGSSMechanism = system.New }
