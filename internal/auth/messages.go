package auth

import (
	"github.com/amiko-ssh/amiko/internal/wire"
)

// The user authentication messages wire does not define. Numbers 60 to
// 79 depend on the method in progress (RFC 4252 section 6).
const msgUserauthPasswdChangeReq = 60

// Method names (RFC 4252, RFC 4256, OpenSSH PROTOCOL section 3.2).
const (
	methodNone                = "none"
	methodPassword            = "password"
	methodPublicKey           = "publickey"
	methodPublicKeyHostbound  = "publickey-hostbound-v00@openssh.com"
	methodKeyboardInteractive = "keyboard-interactive"
)

// appendRequestHeader appends the common start of USERAUTH_REQUEST.
func appendRequestHeader(b []byte, user, method string) []byte {
	b = append(b, wire.MsgUserauthRequest)
	b = wire.AppendText(b, user)
	b = wire.AppendText(b, serviceConnection)
	return wire.AppendText(b, method)
}

// parseFailure decodes SSH_MSG_USERAUTH_FAILURE into a *FailureError
// for method, or returns a *wire.ParseError.
func parseFailure(method string, p []byte) error {
	r := wire.NewReader("USERAUTH_FAILURE", p)
	r.Byte("message number")
	e := &FailureError{Method: method, Methods: r.NameList("authentications that can continue"), PartialSuccess: r.Bool("partial success")}
	if err := r.End(); err != nil {
		return err
	}
	return e
}

// parseBanner decodes SSH_MSG_USERAUTH_BANNER (RFC 4252 section 5.4):
// the message and a language tag, which is ignored.
func parseBanner(p []byte) (string, error) {
	r := wire.NewReader("USERAUTH_BANNER", p)
	r.Byte("message number")
	msg := r.Text("message")
	r.String("language tag")
	if err := r.End(); err != nil {
		return "", err
	}
	return msg, nil
}

// pkOK is SSH_MSG_USERAUTH_PK_OK (RFC 4252 section 7): the algorithm
// and key blob of the query it answers.
type pkOK struct {
	Algorithm string
	PublicKey []byte // aliases the packet
}

func parsePKOK(p []byte) (*pkOK, error) {
	r := wire.NewReader("USERAUTH_PK_OK", p)
	r.Byte("message number")
	m := &pkOK{Algorithm: r.Text("public key algorithm"), PublicKey: r.String("public key blob")}
	if err := r.End(); err != nil {
		return nil, err
	}
	return m, nil
}

// parsePasswdChangeReq decodes SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (RFC
// 4252 section 8): a prompt and a language tag, which is ignored.
func parsePasswdChangeReq(p []byte) (string, error) {
	r := wire.NewReader("USERAUTH_PASSWD_CHANGEREQ", p)
	r.Byte("message number")
	prompt := r.Text("prompt")
	r.String("language tag")
	if err := r.End(); err != nil {
		return "", err
	}
	return prompt, nil
}

// Prompt is one question of a keyboard-interactive round.
type Prompt struct {
	Text string // as the server sent it: untrusted, may hold control characters
	Echo bool   // whether the answer may be shown as it is typed
}

// infoRequest is SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256 section 3.2).
type infoRequest struct {
	Name        string
	Instruction string
	Prompts     []Prompt
}

// maxPrompts bounds the prompts of one INFO_REQUEST. PAM stacks ask one
// or two questions; no real server comes near 256.
const maxPrompts = 256

// parseInfoRequest decodes SSH_MSG_USERAUTH_INFO_REQUEST. It returns a
// *LimitError for more than maxPrompts prompts, checked before anything
// is allocated for them, and a *wire.ParseError for a malformed message.
func parseInfoRequest(p []byte) (*infoRequest, error) {
	r := wire.NewReader("USERAUTH_INFO_REQUEST", p)
	r.Byte("message number")
	m := &infoRequest{Name: r.Text("name"), Instruction: r.Text("instruction")}
	r.String("language tag")
	n := r.Uint32("num-prompts")
	if err := r.Err(); err != nil {
		return nil, err
	}
	if n > maxPrompts {
		return nil, &LimitError{Method: methodKeyboardInteractive, What: "prompts in one round", Count: uint64(n), Limit: maxPrompts}
	}
	// Each prompt takes at least five bytes; a count the rest of the
	// packet cannot hold is malformed.
	if uint64(n)*5 > uint64(r.Len()) {
		return nil, &wire.ParseError{Msg: "USERAUTH_INFO_REQUEST", Field: "prompts"}
	}
	if n > 0 {
		m.Prompts = make([]Prompt, n)
	}
	for i := range m.Prompts {
		m.Prompts[i] = Prompt{Text: r.Text("prompt"), Echo: r.Bool("echo")}
	}
	if err := r.End(); err != nil {
		return nil, err
	}
	return m, nil
}

// appendInfoResponse encodes SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256
// section 3.4).
func appendInfoResponse(b []byte, answers []string) []byte {
	b = append(b, wire.MsgUserauthInfoReply)
	b = wire.AppendUint32(b, uint32(len(answers)))
	for _, a := range answers {
		b = wire.AppendText(b, a)
	}
	return b
}
