package knownhosts

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestCheckKeyMismatchEachType(t *testing.T) {
	keys := map[string]testKey{}
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		keys[typ] = newKey(t, typ)
	}
	for knownType, known := range keys {
		for presentedType, presented := range keys {
			f := mustParse(t, "host.example "+known.line+"\n")
			err := Check("host.example", presented.pub, f)
			if knownType == presentedType {
				if err != nil {
					t.Errorf("known %s, presented the same: %v", knownType, err)
				}
				continue
			}
			var mismatch *KeyMismatchError
			if !errors.As(err, &mismatch) {
				t.Errorf("known %s, presented %s: %v, want a KeyMismatchError", knownType, presentedType, err)
				continue
			}
			if mismatch.Host != "host.example" || !sameKey(mismatch.Presented, presented.pub) ||
				len(mismatch.Known) != 1 || !sameKey(mismatch.Known[0], known.pub) || mismatch.Where[0].Line != 1 {
				t.Errorf("known %s, presented %s: %+v", knownType, presentedType, mismatch)
			}
			msg := err.Error()
			if !strings.Contains(msg, presented.pub.Type()) || !strings.Contains(msg, known.pub.Type()) ||
				!strings.Contains(msg, ssh.FingerprintSHA256(known.pub)) {
				t.Errorf("message does not name both keys: %s", msg)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	ed := newKey(t, "ed25519")
	ec := newKey(t, "ecdsa")
	rsa := newKey(t, "rsa")
	other := newKey(t, "ed25519")

	system := mustParse(t, strings.Join([]string{
		"shared.example " + ed.line,
		"@revoked * " + other.line,
		"",
	}, "\n"))
	user := mustParse(t, strings.Join([]string{
		"# user's file",
		"two.example " + ed.line,
		"two.example " + ec.line,
		"[ported.example]:2222 " + rsa.line,
		"shared.example " + ec.line,
		"revoked.example " + other.line,
		"!neg.example,*.neg.example " + ed.line,
		"",
	}, "\n"))

	tests := []struct {
		host string
		key  ssh.PublicKey
		want any // nil, or a pointer to the error type wanted
	}{
		{"two.example", ed.pub, nil},
		{"TWO.example", ec.pub, nil},
		{"two.example", rsa.pub, new(*KeyMismatchError)},
		{"two.example", other.pub, new(*RevokedError)},
		{"revoked.example", other.pub, new(*RevokedError)},
		{"[ported.example]:2222", rsa.pub, nil},
		{"ported.example", rsa.pub, new(*UnknownHostError)}, // port 22 is another name
		{"[ported.example]:2223", rsa.pub, new(*UnknownHostError)},
		{"shared.example", ed.pub, nil}, // from the system file
		{"shared.example", ec.pub, nil}, // from the user's file
		{"shared.example", rsa.pub, new(*KeyMismatchError)},
		{"new.example", ed.pub, new(*UnknownHostError)},
		{"a.neg.example", ed.pub, nil},
		{"neg.example", ed.pub, new(*UnknownHostError)},
	}
	for _, tt := range tests {
		err := Check(tt.host, tt.key, system, user)
		switch want := tt.want.(type) {
		case nil:
			if err != nil {
				t.Errorf("Check(%s, %s) = %v, want nil", tt.host, tt.key.Type(), err)
			}
		case **KeyMismatchError:
			if !errors.As(err, want) {
				t.Errorf("Check(%s, %s) = %v, want a KeyMismatchError", tt.host, tt.key.Type(), err)
			}
		case **RevokedError:
			if !errors.As(err, want) {
				t.Errorf("Check(%s, %s) = %v, want a RevokedError", tt.host, tt.key.Type(), err)
			}
		case **UnknownHostError:
			if !errors.As(err, want) {
				t.Errorf("Check(%s, %s) = %v, want an UnknownHostError", tt.host, tt.key.Type(), err)
			} else if (*want).Host != strings.ToLower(tt.host) || !sameKey((*want).Key, tt.key) {
				t.Errorf("Check(%s): %+v", tt.host, *want)
			}
		}
	}

	// The mismatch names the keys of both files, and where they are.
	err := Check("shared.example", rsa.pub, system, user)
	var mismatch *KeyMismatchError
	if errors.As(err, &mismatch) {
		if len(mismatch.Known) != 2 || mismatch.Where[0].Line != 1 || mismatch.Where[1].Line != 5 {
			t.Errorf("mismatch across files: %+v", mismatch)
		}
	}
	// Nil files are skipped; no files at all know nothing.
	if err := Check("two.example", ed.pub, nil, user); err != nil {
		t.Errorf("with a nil file: %v", err)
	}
	var unknown *UnknownHostError
	if err := Check("two.example", ed.pub); !errors.As(err, &unknown) {
		t.Errorf("without files: %v", err)
	}
	if err := Check("two.example", nil, user); err == nil {
		t.Error("Check of a nil key passed")
	}
}

func TestKnownKeyTypes(t *testing.T) {
	ed := newKey(t, "ed25519")
	ec := newKey(t, "ecdsa")
	rsa := newKey(t, "rsa")
	f := mustParse(t, strings.Join([]string{
		"both.example " + ec.line,
		"both.example " + rsa.line,
		"both.example " + ec.line, // repeated: listed once
		"*.ca.example " + ed.line,
		"@cert-authority *.ca.example " + ec.line,
		"revoked.example " + rsa.line,
		"revoked.example " + ed.line,
		"@revoked revoked.example " + rsa.line,
	}, "\n"))
	tests := map[string][]string{
		"both.example":    {ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSA},
		"unknown.example": nil,
		"a.ca.example":    append([]string{ssh.KeyAlgoED25519}, certKeyTypes...),
		"revoked.example": {ssh.KeyAlgoED25519},
	}
	for host, want := range tests {
		if got := KnownKeyTypes(host, f); !slices.Equal(got, want) {
			t.Errorf("KnownKeyTypes(%s) = %v, want %v", host, got, want)
		}
	}
}

// BenchmarkCheck checks a key against a file of 1000 hosts, half of them
// hashed, as a fan-out over many hosts sharing one store does.
func BenchmarkCheck(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		name := fmt.Sprintf("host%d.example", i)
		if i%2 == 0 {
			name = hashHost(name, []byte("0123456789abcdefghij"))
		}
		sb.WriteString(name + " " + edKey + "\n")
	}
	f := mustParse(b, sb.String())
	key := parseAuthorized(b, edKey)
	b.ResetTimer()
	for b.Loop() {
		if err := Check("host999.example", key, f); err != nil {
			b.Fatal(err)
		}
	}
}
