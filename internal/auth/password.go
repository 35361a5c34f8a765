package auth

import (
	"github.com/amiko-ssh/amiko/internal/wire"
)

// maxPasswordChanges bounds the SSH_MSG_USERAUTH_PASSWD_CHANGEREQ
// messages answered in one Password call: a server that refuses every
// new password would otherwise go on asking for as long as change
// answers.
const maxPasswordChanges = 8

// Password authenticates user with password (RFC 4252 section 8).
//
// A server may accept the password but require a new one
// (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ). Then change is called with the
// server's prompt and returns the new password, which is sent with the
// old one; if the server refuses the new password it asks again, with a
// new prompt, up to 8 times. With a nil change, Password returns a
// *PasswordChangeError; an error from change is returned as it is.
func Password(t Transport, user, password string, change func(prompt string) (string, error)) error {
	return (&Authenticator{Transport: t, User: user}).Password(password, change)
}

// Password authenticates with a password; see the function Password.
func (a *Authenticator) Password(password string, change func(prompt string) (string, error)) error {
	req := appendRequestHeader(nil, a.User, methodPassword)
	req = wire.AppendBool(req, false)
	req = wire.AppendText(req, password)
	if err := a.writeSecret(req); err != nil {
		return err
	}
	for changes := 0; ; changes++ {
		p, err := a.readPacket()
		if err != nil {
			return err
		}
		if p[0] != msgUserauthPasswdChangeReq {
			return a.result(methodPassword, p)
		}
		prompt, err := parsePasswdChangeReq(p)
		if err != nil {
			return err
		}
		if change == nil {
			return &PasswordChangeError{Prompt: prompt}
		}
		if changes == maxPasswordChanges {
			return &LimitError{Method: methodPassword, What: "password changes", Count: maxPasswordChanges + 1, Limit: maxPasswordChanges}
		}
		newPassword, err := change(prompt)
		if err != nil {
			return err
		}
		req := appendRequestHeader(nil, a.User, methodPassword)
		req = wire.AppendBool(req, true)
		req = wire.AppendText(req, password)
		req = wire.AppendText(req, newPassword)
		if err := a.writeSecret(req); err != nil {
			return err
		}
	}
}
