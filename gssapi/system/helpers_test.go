//go:build cgo && amiko_gssapi

package system

import (
	"errors"
	"testing"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// realm starts a KDC and gives the test a ticket in a FILE cache
// (forwardable or not), pointing the library at both through the
// environment, which is what it reads.
func realm(t *testing.T, forwardable bool) *sshtest.KDC {
	t.Helper()
	k := sshtest.StartKDC(t)
	useRealm(t, k, k.Kinit(t, forwardable))
	return k
}

// useRealm sets KRB5_CONFIG to k's and KRB5CCNAME to ccache for t.
func useRealm(t *testing.T, k *sshtest.KDC, ccache string) {
	t.Setenv("KRB5_CONFIG", k.Config)
	t.Setenv("KRB5CCNAME", ccache)
}

func newMech(t *testing.T) gssapi.Mechanism {
	t.Helper()
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// statusOf is err's *StatusError, failing t when there is none.
func statusOf(t *testing.T, err error) *StatusError {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, not a *StatusError", err)
	}
	return se
}
