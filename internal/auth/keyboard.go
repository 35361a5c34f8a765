package auth

import (
	"errors"
	"fmt"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// maxInfoRounds bounds the INFO_REQUEST rounds of one keyboard-interactive
// exchange. OpenSSH with PAM takes two (the questions, then an empty
// round); multi-factor setups a few more.
const maxInfoRounds = 64

// KeyboardInteractive authenticates user with keyboard-interactive
// (RFC 4256). For each round of questions the server sends, answer is
// called with the round's name, instruction and prompts (all untrusted
// server text) and returns one answer per prompt.
//
// Rounds without prompts happen: OpenSSH with PAM sends one after the
// password, and some servers send only an instruction to show. answer is
// called for them too, so the instruction can be shown, and must return
// no answers. A server may ask at most 256 prompts a round and 64 rounds;
// more is a *LimitError. An error from answer is returned as it is.
func KeyboardInteractive(t Transport, user string, answer func(name, instruction string, prompts []Prompt) ([]string, error)) error {
	return (&Authenticator{Transport: t, User: user}).KeyboardInteractive(answer)
}

// KeyboardInteractive authenticates with keyboard-interactive; see the
// function KeyboardInteractive.
func (a *Authenticator) KeyboardInteractive(answer func(name, instruction string, prompts []Prompt) ([]string, error)) error {
	if answer == nil {
		return errors.New("ssh: keyboard-interactive authentication needs a function to answer the server's prompts")
	}
	req := appendRequestHeader(nil, a.User, methodKeyboardInteractive)
	req = wire.AppendText(req, "") // language tag, deprecated
	req = wire.AppendText(req, "") // submethods: the server's choice
	if err := a.Transport.WritePacket(req); err != nil {
		return err
	}
	for rounds := 0; ; rounds++ {
		p, err := a.readPacket()
		if err != nil {
			return err
		}
		if p[0] != wire.MsgUserauthInfoRequest {
			return a.result(methodKeyboardInteractive, p)
		}
		if rounds == maxInfoRounds {
			return &LimitError{Method: methodKeyboardInteractive, What: "rounds of questions", Count: maxInfoRounds + 1, Limit: maxInfoRounds}
		}
		m, err := parseInfoRequest(p)
		if err != nil {
			return err
		}
		answers, err := answer(m.Name, m.Instruction, m.Prompts)
		if err != nil {
			return err
		}
		if len(answers) != len(m.Prompts) {
			return fmt.Errorf("ssh: keyboard-interactive: %d answers to %d prompts", len(answers), len(m.Prompts))
		}
		if err := a.writeSecret(appendInfoResponse(nil, answers)); err != nil {
			return err
		}
	}
}

// PasswordAnswerer returns a keyboard-interactive answer function that
// logs in with a password, as paramiko does when password authentication
// falls back to keyboard-interactive (Transport.auth_password): a round
// of one prompt is answered with password, whatever the prompt says and
// whether or not it echoes; a round without prompts gets no answers; a
// round of more than one prompt is not a password prompt, and gets
// ErrNotPasswordPrompt.
func PasswordAnswerer(password string) func(name, instruction string, prompts []Prompt) ([]string, error) {
	return func(name, instruction string, prompts []Prompt) ([]string, error) {
		switch len(prompts) {
		case 0:
			return nil, nil
		case 1:
			return []string{password}, nil
		}
		return nil, fmt.Errorf("%w (the server asks %d questions)", ErrNotPasswordPrompt, len(prompts))
	}
}
