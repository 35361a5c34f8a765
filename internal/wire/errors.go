package wire

import "fmt"

// ParseError reports a message that does not decode.
type ParseError struct {
	Msg   string // the message being decoded, e.g. "KEXINIT"
	Field string // the field that failed, or "" for trailing data
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("ssh: malformed %s message: trailing data", e.Msg)
	}
	return fmt.Sprintf("ssh: malformed %s message: bad %s", e.Msg, e.Field)
}
