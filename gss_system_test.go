//go:build cgo && amiko_gssapi

package amiko

import (
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/system"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// With -tags amiko_gssapi, the Kerberos tests of gss_krb5_test.go run
// with the system's GSS-API library too. It reads its configuration and
// credential cache from the environment, so they are set there, for t.
func init() {
	kerberosMechanisms["system"] = func(t *testing.T, kdc *sshtest.KDC, ccache string) gssapi.Mechanism {
		t.Setenv("KRB5_CONFIG", kdc.Config)
		t.Setenv("KRB5CCNAME", ccache)
		mech, err := system.New()
		if err != nil {
			t.Fatal(err)
		}
		return mech
	}
}
