package main

import (
	"strings"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// preferredAlgorithms turns the algorithm options, in OpenSSH's list
// syntax ("a,b" replaces, "+a" appends, "-a" removes, "^a" prepends),
// into the library's PreferredAlgorithms: full lists in order, applied
// to amiko's defaults. Naming a legacy algorithm (+ssh-rsa, aes128-cbc)
// is the explicit opt-in the library asks for, as in OpenSSH.
func preferredAlgorithms(c *config) (amiko.PreferredAlgorithms, error) {
	var p amiko.PreferredAlgorithms
	for _, l := range []struct {
		name     string
		cat      transport.Category
		defaults []string
		spec     string
		dst      *[]string
	}{
		{"KexAlgorithms", transport.CategoryKex, transport.DefaultKexAlgorithms, c.KexAlgorithms, &p.Kex},
		{"HostKeyAlgorithms", transport.CategoryHostKey, transport.DefaultHostKeyAlgorithms, c.HostKeyAlgorithms, &p.HostKeys},
		{"Ciphers", transport.CategoryCipher, transport.DefaultCiphers, c.Ciphers, &p.Ciphers},
		{"MACs", transport.CategoryMAC, transport.DefaultMACs, c.MACs, &p.MACs},
		// User key signature algorithms have the host key algorithms'
		// names; OpenSSH's default lists are the same but for the
		// security key (sk-) types amiko does not implement.
		{"PubkeyAcceptedAlgorithms", transport.CategoryHostKey, transport.DefaultHostKeyAlgorithms, c.PubkeyAlgorithms, &p.PublicKeys},
	} {
		if l.spec == "" {
			continue
		}
		list, err := transport.ApplyListSyntax(l.cat, l.defaults, l.spec)
		if err != nil {
			return amiko.PreferredAlgorithms{}, &optionError{name: l.name, value: l.spec, why: strings.TrimPrefix(err.Error(), "ssh: ")}
		}
		if len(list) == 0 {
			return amiko.PreferredAlgorithms{}, &optionError{name: l.name, value: l.spec, why: "no algorithm left"}
		}
		*l.dst = list
	}
	return p, nil
}
