package transport

import (
	"fmt"
	"slices"
	"strings"
)

// Algorithm names that are not in a table of their own.
const (
	extInfoClient   = "ext-info-c"
	strictKexClient = "kex-strict-c-v00@openssh.com"
	strictKexServer = "kex-strict-s-v00@openssh.com"

	compressionNone    = "none"
	compressionZlib    = "zlib"
	compressionDelayed = "zlib@openssh.com"
)

// Default preference lists, secure first. Legacy algorithms are in the
// Legacy* lists and are used only when a caller adds them explicitly.
var (
	DefaultKexAlgorithms = []string{
		"mlkem768x25519-sha256",
		"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256",
		"diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
		"diffie-hellman-group14-sha256",
	}
	LegacyKexAlgorithms = []string{
		"diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1",
		"diffie-hellman-group-exchange-sha1",
	}

	DefaultHostKeyAlgorithms = []string{
		"ssh-ed25519-cert-v01@openssh.com",
		"ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com",
		"rsa-sha2-512-cert-v01@openssh.com",
		"rsa-sha2-256-cert-v01@openssh.com",
		"ssh-ed25519",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"rsa-sha2-512", "rsa-sha2-256",
	}
	LegacyHostKeyAlgorithms = []string{
		"ssh-rsa-cert-v01@openssh.com", "ssh-rsa",
		"ssh-dss-cert-v01@openssh.com", "ssh-dss",
	}

	DefaultCiphers = []string{
		"chacha20-poly1305@openssh.com",
		"aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr",
	}
	LegacyCiphers = []string{"aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"}

	DefaultMACs = []string{
		"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
		"hmac-sha2-256", "hmac-sha2-512",
	}
	LegacyMACs = []string{"hmac-sha1-etm@openssh.com", "hmac-sha1"}

	// DefaultCompressions is used when compression is off.
	DefaultCompressions = []string{compressionNone}
	// CompressedCompressions is paramiko's preference when compress=True.
	CompressedCompressions = []string{compressionDelayed, compressionZlib, compressionNone}
)

// Category names one of the negotiated algorithm lists.
type Category string

// The categories, in KEXINIT order.
const (
	CategoryKex         Category = "kex"
	CategoryHostKey     Category = "host key"
	CategoryCipher      Category = "cipher"
	CategoryMAC         Category = "MAC"
	CategoryCompression Category = "compression"
)

// Supported reports whether amiko implements the algorithm name in cat.
func Supported(cat Category, name string) bool {
	switch cat {
	case CategoryKex:
		_, ok := kexMethods[name]
		return ok
	case CategoryHostKey:
		return slices.Contains(DefaultHostKeyAlgorithms, name) || slices.Contains(LegacyHostKeyAlgorithms, name)
	case CategoryCipher:
		_, ok := cipherModes[name]
		return ok
	case CategoryMAC:
		_, ok := macModes[name]
		return ok
	case CategoryCompression:
		return name == compressionNone || name == compressionZlib || name == compressionDelayed
	}
	return false
}

// ApplyListSyntax applies OpenSSH's algorithm list syntax (ssh_config(5))
// to base: "+a,b" appends, "-a,b" removes (with * and ? patterns), "^a,b"
// prepends, and a plain list replaces. Names amiko does not implement are
// an error, so that a typo is not silently ignored.
func ApplyListSyntax(cat Category, base []string, spec string) ([]string, error) {
	if spec == "" {
		return slices.Clone(base), nil
	}
	op := spec[0]
	list := spec
	if op == '+' || op == '-' || op == '^' {
		list = spec[1:]
	}
	names := strings.Split(list, ",")
	if op == '-' {
		out := slices.Clone(base)
		for _, pat := range names {
			out = slices.DeleteFunc(out, func(n string) bool { return matchPattern(pat, n) })
		}
		return out, nil
	}
	for _, n := range names {
		if !Supported(cat, n) {
			return nil, fmt.Errorf("ssh: unsupported %s algorithm %q", cat, n)
		}
	}
	without := func(l []string) []string {
		return slices.DeleteFunc(slices.Clone(l), func(n string) bool { return slices.Contains(names, n) })
	}
	switch op {
	case '+':
		return append(without(base), names...), nil
	case '^':
		return append(slices.Clone(names), without(base)...), nil
	}
	return slices.Clone(names), nil
}

// RemoveDisabled returns list without the names in disabled: paramiko's
// disabled_algorithms for one category. Patterns are allowed. With
// nothing disabled it returns list itself, which a connection then
// shares with every other: nobody may modify it.
func RemoveDisabled(list, disabled []string) []string {
	if len(disabled) == 0 {
		return list
	}
	return slices.DeleteFunc(slices.Clone(list), func(n string) bool {
		return slices.ContainsFunc(disabled, func(pat string) bool { return matchPattern(pat, n) })
	})
}

// matchPattern matches name against an OpenSSH pattern with * and ?.
func matchPattern(pat, name string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for i := len(name); i >= 0; i-- {
				if matchPattern(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		case '?':
			if name == "" {
				return false
			}
		default:
			if name == "" || name[0] != pat[0] {
				return false
			}
		}
		pat, name = pat[1:], name[1:]
	}
	return name == ""
}
