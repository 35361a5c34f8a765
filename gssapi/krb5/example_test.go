package krb5_test

import (
	"context"
	"fmt"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/amiko-ssh/amiko/gssapi/krb5"
)

// The mechanism reads the user's krb5.conf and kinit's ticket cache; a
// context is what gssapi-with-mic and GSS-API key exchange drive.
func ExampleNew() {
	mech, err := krb5.New() // or krb5.New(krb5.WithCCache("FILE:/tmp/cc"))
	if err != nil {
		fmt.Println(err) // e.g. a KCM cache: use the system library's mechanism
		return
	}
	ctx, err := mech.InitSecContext(context.Background(), "host@server.example.org", gssapi.ContextOptions{Delegate: true})
	if err != nil {
		fmt.Println(err) // errors.Is(err, gssapi.ErrNoCredentials) without kinit
		return
	}
	defer ctx.Close()
	token, _, err := ctx.Step(nil) // the AP-REQ, for the server
	_, _ = token, err
}
