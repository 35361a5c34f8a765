package transport

import (
	"slices"

	"github.com/amiko-ssh/amiko/internal/wire"
)

// Algorithms are the algorithms negotiated for a connection; Out is
// client to server.
type Algorithms struct {
	Kex            string
	HostKey        string
	CipherOut      string
	CipherIn       string
	MACOut         string // empty for AEAD ciphers
	MACIn          string
	CompressionOut string
	CompressionIn  string
}

// findCommon returns the first algorithm of client's list that server
// also has (RFC 4253 section 7.1).
func findCommon(cat Category, client, server []string) (string, error) {
	for _, c := range client {
		if slices.Contains(server, c) {
			return c, nil
		}
	}
	return "", &NegotiationError{Category: cat, Client: client, Server: server}
}

// withoutMarkers removes the pseudo-algorithms that signal extensions
// (ext-info-c, kex-strict-*) from a kex list: they are never negotiated.
func withoutMarkers(l []string) []string {
	return slices.DeleteFunc(slices.Clone(l), func(n string) bool {
		return n == extInfoClient || n == "ext-info-s" || n == strictKexClient || n == strictKexServer
	})
}

// negotiate picks the algorithms for one key exchange.
func negotiate(ours, theirs *wire.KexInit) (Algorithms, error) {
	var a Algorithms
	var err error
	if a.Kex, err = findCommon(CategoryKex, withoutMarkers(ours.KexAlgos), withoutMarkers(theirs.KexAlgos)); err != nil {
		return a, err
	}
	if a.HostKey, err = findCommon(CategoryHostKey, ours.HostKeyAlgos, theirs.HostKeyAlgos); err != nil {
		return a, err
	}
	if a.CipherOut, err = findCommon(CategoryCipher, ours.CiphersClientServer, theirs.CiphersClientServer); err != nil {
		return a, err
	}
	if a.CipherIn, err = findCommon(CategoryCipher, ours.CiphersServerClient, theirs.CiphersServerClient); err != nil {
		return a, err
	}
	// With an AEAD cipher the MAC list is not negotiated at all (OpenSSH's
	// PROTOCOL): a server may offer MACs we share none of.
	if !cipherModes[a.CipherOut].aead {
		if a.MACOut, err = findCommon(CategoryMAC, ours.MACsClientServer, theirs.MACsClientServer); err != nil {
			return a, err
		}
	}
	if !cipherModes[a.CipherIn].aead {
		if a.MACIn, err = findCommon(CategoryMAC, ours.MACsServerClient, theirs.MACsServerClient); err != nil {
			return a, err
		}
	}
	if a.CompressionOut, err = findCommon(CategoryCompression, ours.CompressionClientServer, theirs.CompressionClientServer); err != nil {
		return a, err
	}
	if a.CompressionIn, err = findCommon(CategoryCompression, ours.CompressionServerClient, theirs.CompressionServerClient); err != nil {
		return a, err
	}
	return a, nil
}

// guessIsRight reports whether a guessed kex packet sent after a KEXINIT
// by the side that sent theirs is for the method that was negotiated: the
// first kex and host key algorithms of both sides agree (RFC 4253 section
// 7, as OpenSSH decides it).
func guessIsRight(ours, theirs *wire.KexInit) bool {
	first := func(l []string) string {
		if len(l) == 0 {
			return ""
		}
		return l[0]
	}
	return first(ours.KexAlgos) == first(theirs.KexAlgos) &&
		first(ours.HostKeyAlgos) == first(theirs.HostKeyAlgos)
}
