package auth

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko/internal/sshtest"
)

// TestXSSHTwoSteps: an x/crypto server whose PublicKeyCallback returns a
// PartialSuccessError that allows only the password next.
func TestXSSHTwoSteps(t *testing.T) {
	t.Parallel()
	var s *sshtest.Server
	s = sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(c *ssh.ServerConfig) {
		c.KeyboardInteractiveCallback = nil
		c.PasswordCallback = nil // the password only as the second step
		c.PublicKeyCallback = func(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if !bytes.Equal(key.Marshal(), s.UserKey.PublicKey().Marshal()) {
				return nil, errors.New("key not authorized")
			}
			return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{
				PasswordCallback: func(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
					if string(password) == s.Password {
						return nil, nil
					}
					return nil, errors.New("wrong password")
				},
			}}
		}
	}})
	c := connect(t, s, nil)
	a := &Authenticator{Transport: c, User: s.User}
	fe := asFailure(t, a.None())
	if !slices.Equal(fe.Methods, []string{"publickey"}) || fe.PartialSuccess {
		t.Fatalf("none: %+v", fe)
	}
	fe = asFailure(t, a.PublicKey(s.UserKey))
	if !fe.PartialSuccess || !slices.Equal(fe.Methods, []string{"password"}) {
		t.Fatalf("publickey: %+v", fe)
	}
	if !strings.Contains(fe.Error(), "partially succeeded") {
		t.Fatalf("error text %q", fe.Error())
	}
	fe = asFailure(t, a.Password("not the password", nil))
	if fe.PartialSuccess || !slices.Equal(fe.Methods, []string{"password"}) {
		t.Fatalf("wrong password: %+v", fe)
	}
	if err := a.Password(s.Password, nil); err != nil {
		t.Fatalf("%v\n%s", err, s.Log())
	}
	loggedIn(t, c)
}

// TestXSSHKeyboardInteractiveRounds: several rounds, one with an
// instruction and no prompts, prompts with and without echo, and a
// banner sent before it all.
func TestXSSHKeyboardInteractiveRounds(t *testing.T) {
	t.Parallel()
	var s *sshtest.Server
	s = sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(c *ssh.ServerConfig) {
		c.BannerCallback = func(ssh.ConnMetadata) string { return "x/crypto banner\n" }
		c.KeyboardInteractiveCallback = func(conn ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := challenge("login", "Step one", []string{"User: ", "Password: "}, []bool{true, false})
			if err != nil {
				return nil, err
			}
			if !slices.Equal(ans, []string{s.User, s.Password}) {
				return nil, fmt.Errorf("step one answers %q", ans)
			}
			if ans, err = challenge("", "Nothing to type: your password expires soon.", nil, nil); err != nil || len(ans) != 0 {
				return nil, fmt.Errorf("empty round: %q, %v", ans, err)
			}
			if ans, err = challenge("2FA", "", []string{"Code: "}, []bool{true}); err != nil || !slices.Equal(ans, []string{"123456"}) {
				return nil, fmt.Errorf("code: %q, %v", ans, err)
			}
			return nil, nil
		}
	}})
	c := connect(t, s, nil)
	type round struct {
		name, instruction string
		prompts           []Prompt
	}
	var rounds []round
	var banners []string
	a := &Authenticator{Transport: c, User: s.User, Banner: func(m string) { banners = append(banners, m) }}
	err := a.KeyboardInteractive(func(name, instruction string, prompts []Prompt) ([]string, error) {
		rounds = append(rounds, round{name, instruction, prompts})
		switch len(rounds) {
		case 1:
			return []string{s.User, s.Password}, nil
		case 2:
			return nil, nil
		}
		return []string{"123456"}, nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Log())
	}
	loggedIn(t, c)
	want := []round{
		{"login", "Step one", []Prompt{{"User: ", true}, {"Password: ", false}}},
		{"", "Nothing to type: your password expires soon.", nil},
		{"2FA", "", []Prompt{{"Code: ", true}}},
	}
	if fmt.Sprint(rounds) != fmt.Sprint(want) {
		t.Fatalf("rounds\n%+v\nwant\n%+v", rounds, want)
	}
	if !slices.Equal(banners, []string{"x/crypto banner\n"}) {
		t.Fatalf("banners %q", banners)
	}
}

// TestXSSHHostilePrompts: an x/crypto server asking more prompts or
// rounds than allowed gets a *LimitError; at the limits it works.
func TestXSSHHostilePrompts(t *testing.T) {
	questions := func(n int) ([]string, []bool) {
		q := make([]string, n)
		for i := range q {
			q[i] = fmt.Sprintf("Question %d: ", i)
		}
		return q, make([]bool, n)
	}
	for _, tc := range []struct {
		name            string
		prompts, rounds int
		limit           bool
	}{
		{"256-prompts", 256, 1, false},
		{"257-prompts", 257, 1, true},
		{"64-rounds", 1, 64, false},
		{"65-rounds", 1, 65, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := sshtest.StartXSSH(t, sshtest.XSSHOptions{Config: func(c *ssh.ServerConfig) {
				c.KeyboardInteractiveCallback = func(conn ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
					q, echo := questions(tc.prompts)
					for range tc.rounds {
						if _, err := challenge("", "", q, echo); err != nil {
							return nil, err
						}
					}
					return nil, nil
				}
			}})
			c := connect(t, s, nil)
			calls := 0
			err := KeyboardInteractive(c, s.User, func(name, instruction string, prompts []Prompt) ([]string, error) {
				calls++
				return make([]string, len(prompts)), nil
			})
			if !tc.limit {
				if err != nil || calls != tc.rounds {
					t.Fatalf("%v after %d rounds", err, calls)
				}
				loggedIn(t, c)
				return
			}
			var le *LimitError
			if !errors.As(err, &le) || le.Method != "keyboard-interactive" {
				t.Fatalf("got %v (%T), want a *LimitError", err, err)
			}
			t.Log(err)
		})
	}
}
