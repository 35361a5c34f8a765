package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// prompter asks the user something: the terminal in real use, a fake in
// tests. Prompts go to the terminal, never to stdout or stderr, so that
// they do not mix with the remote command's output.
type prompter interface {
	// ReadSecret shows prompt and reads a line without echo.
	ReadSecret(prompt string) (string, error)
	// ReadLine shows prompt and reads a line with echo.
	ReadLine(prompt string) (string, error)
}

// ttyPrompter asks on /dev/tty, as ssh does, so that prompts work while
// stdin and stdout are redirected. A signal (done) ends a prompt at
// once, with the terminal's echo restored.
type ttyPrompter struct {
	path string
	done <-chan struct{}
}

// errInterrupted ends a prompt that a signal cut short.
var errInterrupted = errors.New("interrupted")

// prompt writes text to the terminal and runs read on it, giving up when
// done is closed.
func (p ttyPrompter) prompt(text string, secret bool) (string, error) {
	f, err := os.OpenFile(p.path, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("cannot prompt: %w", err)
	}
	fd := int(f.Fd())
	state, _ := term.GetState(fd)
	io.WriteString(f, text)
	type answer struct {
		s   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		if secret {
			var b []byte
			b, a.err = term.ReadPassword(fd)
			a.s = string(b)
			io.WriteString(f, "\n")
		} else {
			a.s, a.err = readLine(f)
		}
		ch <- a
	}()
	select {
	case a := <-ch:
		f.Close()
		return a.s, a.err
	case <-p.done:
		// The reader stays blocked on the terminal; the process is
		// about to exit. Put echo back first.
		if state != nil {
			term.Restore(fd, state)
		}
		io.WriteString(f, "\n")
		return "", errInterrupted
	}
}

// ReadSecret implements prompter.
func (p ttyPrompter) ReadSecret(text string) (string, error) { return p.prompt(text, true) }

// ReadLine implements prompter.
func (p ttyPrompter) ReadLine(text string) (string, error) { return p.prompt(text, false) }

// readLine reads up to a newline one byte at a time, so that nothing
// after the line is consumed.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	var c [1]byte
	for {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(c[0])
			if b.Len() > 4096 {
				return "", errors.New("answer too long")
			}
		}
		if err != nil {
			if err == io.EOF && b.Len() > 0 {
				return b.String(), nil
			}
			return "", err
		}
	}
}

// hasTTY reports whether /dev/tty can be opened: whether there is a
// controlling terminal to ask on.
func hasTTY() bool {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
