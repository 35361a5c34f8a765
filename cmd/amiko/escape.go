package main

import (
	"fmt"
	"io"
	"strings"
)

// escapes are OpenSSH's escape sequences on an interactive session's
// input (ssh(1), ESCAPE CHARACTERS): the escape character ('~' unless
// -e or EscapeChar says otherwise) typed first on a line, then one
// character saying what to do. As in ssh, they are read only when a
// pseudo-terminal was asked for; everything else is passed on as typed.
//
//	.   terminate the connection (exit status 255)
//	B   send a BREAK to the remote system
//	R   ask for a new key exchange
//	^Z  suspend amiko
//	#   list the forwarded connections
//	?   list the escapes
//	~   send the escape character itself (typed twice)
//
// ssh's C (command line), V, v (verbosity) and & (background) are not
// implemented: they print a line saying so and send nothing. Any other
// character after the escape character is sent with it, as ssh does.
type escapes struct {
	char byte      // the escape character
	msg  io.Writer // where the escapes' own output goes: the raw terminal's stderr
	act  escapeActions

	lineStart bool // the last byte sent ended a line, or none was sent yet
	pending   bool // the escape character was typed first on a line
}

// escapeActions are what the escapes do to the session and connection.
type escapeActions struct {
	quit      func()
	sendBreak func() error
	rekey     func() error
	suspend   func()
	forwards  func() []string // one line per forwarded connection
}

// escapeNone is -e none: no escapes.
const escapeNone = -1

func newEscapes(char byte, msg io.Writer, act escapeActions) *escapes {
	return &escapes{char: char, msg: msg, act: act, lineStart: true}
}

// copy passes what r reads on to w, acting on the escapes in it, until r
// ends, a write fails, or ~. is typed.
func (e *escapes) copy(w io.Writer, r io.Reader) error {
	in := make([]byte, 4096)
	var out []byte
	for {
		n, err := r.Read(in)
		if n > 0 {
			var quit bool
			out, quit = e.filter(out[:0], in[:n])
			if len(out) > 0 {
				if _, werr := w.Write(out); werr != nil {
					return werr
				}
			}
			if quit {
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// filter appends to dst what of in is to be sent, acting on the escapes,
// and reports whether ~. ended the session (then the rest of in is
// dropped). State carries over between calls: an escape may be split
// across reads.
func (e *escapes) filter(dst, in []byte) ([]byte, bool) {
	for _, c := range in {
		if e.pending {
			e.pending = false
			switch c {
			case '.':
				e.say("%s.", e.name())
				e.act.quit()
				return dst, true
			case 'B':
				e.say("%sB", e.name())
				e.report(e.act.sendBreak())
				continue
			case 'R':
				e.say("%sR", e.name())
				e.report(e.act.rekey())
				continue
			case 'Z' - 64: // ^Z
				e.say("%s^Z [suspend amiko]", e.name())
				e.act.suspend()
				continue
			case '#':
				e.say("%s#", e.name())
				e.listForwards()
				continue
			case '?':
				e.say("%s?", e.name())
				e.help()
				continue
			case 'C', 'V', 'v', '&':
				e.say("%s%c is not implemented in amiko (%s? lists the escapes)", e.name(), c, e.name())
				continue
			case e.char:
				// Typed twice: sent once, below.
			default:
				dst = append(dst, e.char)
			}
		} else if e.lineStart && c == e.char {
			e.pending = true
			continue
		}
		e.lineStart = c == '\r' || c == '\n'
		dst = append(dst, c)
	}
	return dst, false
}

// name is the escape character as typed: "~", or "^]" for a control
// character.
func (e *escapes) name() string { return escapeName(e.char) }

func escapeName(c byte) string {
	if c < 32 {
		return "^" + string(rune(c+64))
	}
	return string(rune(c))
}

// say writes a line for a terminal in raw mode, which needs CR LF.
func (e *escapes) say(format string, args ...any) {
	fmt.Fprintf(e.msg, format+"\r\n", args...)
}

func (e *escapes) report(err error) {
	if err != nil {
		e.say("%s", printable(err.Error()))
	}
}

func (e *escapes) listForwards() {
	lines := e.act.forwards()
	if len(lines) == 0 {
		e.say("No forwarded connections are open.")
		return
	}
	e.say("The following forwarded connections are open:")
	for _, l := range lines {
		e.say("  %s", l)
	}
}

func (e *escapes) help() {
	n := e.name()
	lines := []string{
		"Supported escape sequences:",
		" " + n + ".   - terminate connection",
		" " + n + "B   - send a BREAK to the remote system",
		" " + n + "R   - request rekey",
		" " + n + "^Z  - suspend amiko",
		" " + n + "#   - list forwarded connections",
		" " + n + "?   - this message",
		" " + n + n + "   - send the escape character by typing it twice",
		"(Note that escapes are only recognized immediately after newline.)",
	}
	e.say("%s", strings.Join(lines, "\r\n"))
}

// parseEscapeChar reads -e's or EscapeChar's value as ssh does: a
// single character, "^X" for a control character, or "none".
func parseEscapeChar(v string) (int, error) {
	switch {
	case v == "none":
		return escapeNone, nil
	case len(v) == 1:
		return int(v[0]), nil
	case len(v) == 2 && v[0] == '^':
		return int(v[1] & 31), nil
	}
	return 0, fmt.Errorf("bad escape character %q", v)
}

// escapeChar is the configured escape character (-e, EscapeChar), or
// escapeNone.
func escapeChar(cfg *config) int {
	c, err := parseEscapeChar(cfg.EscapeChar)
	if err != nil {
		return '~' // not reached: the option was checked when it was read
	}
	return c
}
