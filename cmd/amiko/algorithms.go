package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/amiko-ssh/amiko"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// disabledAlgorithms turns the algorithm options (OpenSSH's list syntax:
// "a,b" replaces, "+a" appends, "-a" removes, "^a" prepends) into the
// library's DisabledAlgorithms. ConnectOptions can only remove names
// from amiko's default lists: a list that asks for an algorithm outside
// them (a legacy one such as ssh-rsa or aes128-cbc) is an error rather
// than a silent no, and the order a list gives is not kept (amiko's
// preference order stays).
func disabledAlgorithms(c *config) (amiko.DisabledAlgorithms, error) {
	var d amiko.DisabledAlgorithms
	for _, l := range []struct {
		name     string
		cat      transport.Category
		defaults []string
		spec     string
		dst      *[]string
	}{
		{"KexAlgorithms", transport.CategoryKex, transport.DefaultKexAlgorithms, c.KexAlgorithms, &d.Kex},
		{"HostKeyAlgorithms", transport.CategoryHostKey, transport.DefaultHostKeyAlgorithms, c.HostKeyAlgorithms, &d.HostKeys},
		{"Ciphers", transport.CategoryCipher, transport.DefaultCiphers, c.Ciphers, &d.Ciphers},
		{"MACs", transport.CategoryMAC, transport.DefaultMACs, c.MACs, &d.MACs},
		// User key signature algorithms have the host key algorithms'
		// names; OpenSSH's default lists are the same but for the
		// security key (sk-) types amiko does not implement.
		{"PubkeyAcceptedAlgorithms", transport.CategoryHostKey, transport.DefaultHostKeyAlgorithms, c.PubkeyAlgorithms, &d.PublicKeys},
	} {
		disabled, err := disabledFor(l.name, l.cat, l.defaults, l.spec)
		if err != nil {
			return amiko.DisabledAlgorithms{}, err
		}
		*l.dst = disabled
	}
	return d, nil
}

// disabledFor returns the names of defaults that spec leaves out.
func disabledFor(name string, cat transport.Category, defaults []string, spec string) ([]string, error) {
	if spec == "" {
		return nil, nil
	}
	wanted, err := transport.ApplyListSyntax(cat, defaults, spec)
	if err != nil {
		return nil, &optionError{name: name, value: spec, why: strings.TrimPrefix(err.Error(), "ssh: ")}
	}
	var extra []string
	for _, w := range wanted {
		if !slices.Contains(defaults, w) {
			extra = append(extra, w)
		}
	}
	if len(extra) > 0 {
		return nil, &optionError{name: name, value: spec, why: fmt.Sprintf(
			"%s cannot be enabled: amiko can only remove algorithms from its defaults (%s)",
			strings.Join(extra, ","), strings.Join(defaults, ","))}
	}
	if len(wanted) == 0 {
		return nil, &optionError{name: name, value: spec, why: "no algorithm left"}
	}
	var disabled []string
	for _, d := range defaults {
		if !slices.Contains(wanted, d) {
			disabled = append(disabled, d)
		}
	}
	return disabled, nil
}
