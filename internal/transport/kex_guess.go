package transport

import (
	"strings"
	"sync"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// KexGuesses remembers what each server put first in its last KEXINIT,
// so that the next connection to it can send its first key exchange
// message as a guess right behind its own KEXINIT (RFC 4253 section 7,
// first_kex_packet_follows) and save the round trip that otherwise waits
// for the server's KEXINIT.
//
// The guess is sent only where it will be right, unless the server has
// changed its preferences since: its first kex and host key algorithms
// were ours last time. A wrong guess costs a conforming server nothing (it
// ignores the packet), but not every server conforms: paramiko never
// ignores a guessed packet, and asyncssh judges a guess by the negotiated
// method rather than by the first ones as RFC 4253 does, so either would
// take a wrong guess for a right one and the connection would fail. So a
// server is remembered only when its version line names an implementation
// known to follow RFC 4253 here (OpenSSH, dropbear, golang.org/x/crypto/ssh).
//
// A KexGuesses is safe for concurrent use and holds at most a bounded
// number of servers; it is meant to be shared by all of a program's
// connections.
type KexGuesses struct {
	mu      sync.Mutex
	servers map[string]serverFirsts
}

// serverFirsts is the first kex and host key algorithm of a server's KEXINIT.
type serverFirsts struct{ kex, hostKey string }

// maxKexGuesses bounds the servers remembered; past it, an arbitrary one
// is forgotten for each new one.
const maxKexGuesses = 4096

// NewKexGuesses returns an empty memory.
func NewKexGuesses() *KexGuesses {
	return &KexGuesses{servers: make(map[string]serverFirsts)}
}

// shouldGuess reports whether a guess for ours, a first KEXINIT, will be
// right with the server called name, as far as its last KEXINIT tells.
func (g *KexGuesses) shouldGuess(name string, ours *wire.KexInit) bool {
	if g == nil || name == "" || len(ours.KexAlgos) == 0 || len(ours.HostKeyAlgos) == 0 {
		return false
	}
	g.mu.Lock()
	last, ok := g.servers[name]
	g.mu.Unlock()
	return ok && last.kex == ours.KexAlgos[0] && last.hostKey == ours.HostKeyAlgos[0]
}

// remember records the server's first KEXINIT, or forgets the server
// when its implementation may mishandle a wrong guess.
func (g *KexGuesses) remember(name string, serverVersion []byte, theirs *wire.KexInit) {
	if g == nil || name == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !judgesGuessesByRFC(serverVersion) || len(theirs.KexAlgos) == 0 || len(theirs.HostKeyAlgos) == 0 {
		delete(g.servers, name)
		return
	}
	f := serverFirsts{kex: strings.Clone(theirs.KexAlgos[0]), hostKey: strings.Clone(theirs.HostKeyAlgos[0])}
	if _, ok := g.servers[name]; !ok && len(g.servers) >= maxKexGuesses {
		for k := range g.servers {
			delete(g.servers, k)
			break
		}
	}
	g.servers[name] = f
}

// judgesGuessesByRFC reports whether a server's version line names an
// implementation that ignores a wrong guess exactly when RFC 4253 says it
// is wrong: its first kex or host key algorithm differs from the
// client's. OpenSSH (proposals_match in kex.c), dropbear (which also
// knows a looser rule, but only with its kexguess2@matt.ucc.asn.au marker
// on both sides) and golang.org/x/crypto/ssh (whose servers announce
// "SSH-2.0-Go" unless configured otherwise) do.
func judgesGuessesByRFC(serverVersion []byte) bool {
	software, ok := strings.CutPrefix(string(serverVersion), "SSH-2.0-")
	if !ok {
		return false
	}
	software, _, _ = strings.Cut(software, " ")
	return strings.HasPrefix(software, "OpenSSH_") ||
		strings.HasPrefix(software, "dropbear") ||
		software == "Go"
}
