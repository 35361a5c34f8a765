package auth

import (
	"errors"
	"testing"

	"github.com/amiko-ssh/amiko/internal/wire"
)

func serviceAccept(name string) []byte {
	return wire.AppendText([]byte{wire.MsgServiceAccept}, name)
}

// TestRequestServicePipelined: the first authentication request is
// written before anything is read, and SERVICE_ACCEPT is checked before
// its answer.
func TestRequestServicePipelined(t *testing.T) {
	ft := &fakeTransport{}
	at, err := RequestServicePipelined(ft)
	if err != nil {
		t.Fatal(err)
	}
	ft.pending = [][]byte{serviceAccept("ssh-userauth"), appendFailure([]string{"publickey"}, false)}
	var fe *FailureError
	if err := None(at, "u"); !errors.As(err, &fe) || fe.Methods[0] != "publickey" {
		t.Fatalf("none: %v", err)
	}
	if len(ft.written) != 2 || ft.written[0][0] != wire.MsgServiceRequest || ft.written[1][0] != wire.MsgUserauthRequest {
		t.Fatalf("written %x", ft.written)
	}

	// A server that accepts another service, or answers with something
	// else, fails the first read.
	for _, first := range [][]byte{serviceAccept("ssh-connection"), success} {
		ft := &fakeTransport{}
		at, _ := RequestServicePipelined(ft)
		ft.pending = [][]byte{first, success}
		if err := None(at, "u"); err == nil {
			t.Fatalf("answer %x accepted", first)
		}
	}
}
