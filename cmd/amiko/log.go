package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// newLogger returns the logger for -v (LogLevel VERBOSE and DEBUG*);
// below that it shows only the library's warnings (a server opening an
// X11 channel nobody asked for, which OpenSSH's ssh reports at its
// default level too), and with -q nothing. The library never
// logs a secret; this handler also escapes control characters, since
// much of what it prints (versions, banners, debug messages) comes from
// the server.
func newLogger(w io.Writer, level int) *slog.Logger {
	switch {
	case level >= logDebug1:
		return slog.New(&lineHandler{w: w, mu: &sync.Mutex{}, min: slog.LevelDebug})
	case level >= logVerbose:
		return slog.New(&lineHandler{w: w, mu: &sync.Mutex{}, min: slog.LevelInfo})
	case level >= logError:
		return slog.New(&lineHandler{w: w, mu: &sync.Mutex{}, min: slog.LevelWarn})
	}
	return slog.New(slog.DiscardHandler)
}

// lineHandler writes one line per record, as ssh -v does:
// "debug1: message key=value ...".
type lineHandler struct {
	w      io.Writer
	mu     *sync.Mutex
	min    slog.Level
	prefix string // from WithGroup
	attrs  []slog.Attr
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	case r.Level >= slog.LevelInfo:
		b.WriteString("info: ")
	default:
		b.WriteString("debug1: ")
	}
	b.WriteString(printable(r.Message))
	write := func(prefix string, a slog.Attr) {
		a.Value = a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			return
		}
		v := a.Value.String()
		if v == "" || strings.ContainsAny(v, " \"=") || v != printable(v) {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s%s=%s", prefix, a.Key, v)
	}
	for _, a := range h.attrs {
		write("", a) // keys already carry their group
	}
	r.Attrs(func(a slog.Attr) bool { write(h.prefix, a); return true })
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		a.Key = h.prefix + a.Key
		h2.attrs = append(h2.attrs, a)
	}
	return &h2
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// printable replaces control characters (and invalid UTF-8), so that
// text from a server cannot move the cursor, clear the screen or break a
// line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}
