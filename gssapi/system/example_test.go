//go:build cgo && amiko_gssapi

package system_test

import (
	"context"
	"fmt"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/gssapi/system"
)

// The mechanism goes where amiko takes a GSS-API mechanism; the library
// finds the user's ticket wherever kinit put it (KCM, KEYRING, DIR,
// FILE).
func ExampleNew() {
	mech, err := system.New()
	if err != nil {
		fmt.Println(err) // the library lacks Kerberos 5
		return
	}
	c := amiko.NewClient()
	err = c.Connect(context.Background(), "server.example.org", &amiko.ConnectOptions{
		GSSAuth:      true, // gssapi-with-mic
		GSSKex:       true, // GSS-API key exchange, then gssapi-keyex
		GSSMechanism: mech,
	})
	if err != nil {
		fmt.Println(err) // without kinit: an *amiko.AuthenticationError whose gssapi-with-mic attempt is gssapi.ErrNoCredentials
		return
	}
	defer c.Close()
}
