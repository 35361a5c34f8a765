package main

import (
	"fmt"
	"slices"
	"strings"
)

// fileValue is an option's arguments as a config file gave them, and
// where.
type fileValue struct {
	where, keyword string
	args           []string
}

// unimplementedOption is an option OpenSSH's ssh knows and amiko does
// not implement. In a config file amiko goes on without it, with a -v
// line saying so, unless refuse finds that going on would change what
// the connection does in a way the user relied on: trusting more
// (host keys, algorithms), sending something the user kept back, using
// another network path, or running something other than what the
// session is for. On the command line (-o) every one is refused.
type unimplementedOption struct {
	what string // what amiko does not do, for the messages
	// refuse returns why the value cannot be ignored, or "" if it can.
	refuse func(c *config, args []string) string
}

// refuseUnless refuses every value but the harmless ones (compared
// without case), for why.
func refuseUnless(why string, harmless ...string) func(*config, []string) string {
	return func(_ *config, args []string) string {
		if slices.Contains(harmless, strings.ToLower(args[0])) {
			return ""
		}
		return why
	}
}

var (
	offValues = []string{"no", "false"}
	ignore    = func(*config, []string) string { return "" }
)

// unimplementedOptions are OpenSSH 9's client options (and a few newer
// ones, and UseKeychain from Apple's ssh) that amiko does not
// implement, by lowercased name.
var unimplementedOptions = map[string]unimplementedOption{
	// Conveniences and optimizations: nothing depends on them.
	"addkeystoagent":          {"adding keys to the agent", ignore},
	"usekeychain":             {"Apple's keychain for passphrases", ignore},
	"controlmaster":           {"connection multiplexing: amiko makes its own connection", ignore},
	"controlpath":             {"connection multiplexing", ignore},
	"controlpersist":          {"connection multiplexing", ignore},
	"visualhostkey":           {"host key pictures", ignore},
	"fingerprinthash":         {"other fingerprint hashes: amiko shows SHA256", ignore},
	"connectionattempts":      {"connection retries", ignore},
	"tcpkeepalive":            {"switching TCP keepalive", ignore},
	"keepalive":               {"switching TCP keepalive", ignore},
	"ipqos":                   {"IP type of service", ignore},
	"rekeylimit":              {"the rekey limit: amiko rekeys by its own limits", ignore},
	"numberofpasswordprompts": {"the number of password prompts", ignore},
	"channeltimeout":          {"closing idle channels", ignore},
	"enableescapecommandline": {"the ~C command line", ignore},
	"logverbose":              {"per-function logging", ignore},
	"syslogfacility":          {"syslog", ignore},
	"localcommand":            {"running a local command after connecting", ignore},
	"permitlocalcommand":      {"running a local command after connecting", ignore},
	"obscurekeystroketiming":  {"obscuring keystroke timing", ignore},
	"warnweakcrypto":          {"warnings about weak algorithms", ignore},
	"tag":                     {"tags (Match tagged)", ignore},
	// Features whose absence shows: the server gets no environment (as
	// when it refuses it), an authentication method that would have
	// been needed fails.
	"xauthlocation":               {"another xauth than /usr/bin/xauth", ignore},
	"certificatefile":             {"certificates apart from their key (key-cert.pub beside an IdentityFile is used)", ignore},
	"pkcs11provider":              {"PKCS#11 keys", ignore},
	"smartcarddevice":             {"PKCS#11 keys", ignore},
	"securitykeyprovider":         {"security key (FIDO) providers", ignore},
	"hostbasedauthentication":     {"host-based authentication", ignore},
	"enablesshkeysign":            {"host-based authentication", ignore},
	"hostbasedacceptedalgorithms": {"host-based authentication", ignore},
	"hostbasedkeytypes":           {"host-based authentication", ignore},
	"kbdinteractivedevices":       {"keyboard-interactive devices", ignore},
	"gssapirenewalforcesrekey":    {"rekeying on Kerberos ticket renewal", ignore},
	"streamlocalbindmask":         {"Unix socket forwarding", ignore},
	"streamlocalbindunlink":       {"Unix socket forwarding", ignore},
	"permitremoteopen":            {"remote dynamic forwarding, which amiko does not offer", ignore},
	"addressfamily":               {"choosing IPv4 or IPv6", ignore},
	"tunneldevice":                {"tunnel devices", ignore},
	// Checks that amiko does more strictly without them: host keys come
	// from known_hosts alone, localhost included.
	"checkhostip":                      {"checking the address in known_hosts besides the name", ignore},
	"verifyhostkeydns":                 {"host keys from DNS (SSHFP)", ignore},
	"updatehostkeys":                   {"learning the server's other host keys", ignore},
	"nohostauthenticationforlocalhost": {"skipping the host key check for localhost", ignore},
	// Hostname canonicalization: amiko uses the name as given (and
	// reads the config a second time, as OpenSSH does), which is what
	// OpenSSH does when no CanonicalDomains suffix resolves, unless
	// CanonicalizeFallbackLocal forbids it.
	"canonicalizehostname":        {"hostname canonicalization", ignore},
	"canonicaldomains":            {"hostname canonicalization", ignore},
	"canonicalizemaxdots":         {"hostname canonicalization", ignore},
	"canonicalizepermittedcnames": {"hostname canonicalization", ignore},
	"canonicalizefallbacklocal": {"hostname canonicalization", func(c *config, args []string) string {
		if canonicalizing(c) && slices.Contains(offValues, strings.ToLower(args[0])) {
			return "amiko would connect to the name as given, which this forbids"
		}
		return ""
	}},
	// OpenSSH's own obsolete ones.
	"protocol": {"SSH protocol 1", ignore}, "cipher": {"SSH protocol 1", ignore},
	"compressionlevel": {"SSH protocol 1", ignore}, "rsaauthentication": {"SSH protocol 1", ignore},
	"rhostsrsaauthentication": {"SSH protocol 1", ignore}, "rhostsauthentication": {"rhosts", ignore},
	"fallbacktorsh": {"rsh", ignore}, "usersh": {"rsh", ignore}, "useprivilegedport": {"privileged ports", ignore},
	"useroaming": {"roaming", ignore}, "globalknownhostsfile2": {"known_hosts2", ignore},
	"userknownhostsfile2": {"known_hosts2", ignore}, "afstokenpassing": {"AFS", ignore},
	"kerberosauthentication": {"Kerberos 4 and 5 without GSS-API", ignore},
	"kerberostgtpassing":     {"Kerberos 4 and 5 without GSS-API", ignore},

	// Refused: ignoring them would change what the connection does.
	"tunnel":                  {"tun/tap forwarding", refuseUnless("the connection would go on without the tunnel it is for", offValues...)},
	"forkafterauthentication": {"going to the background", refuseUnless("amiko would stay in the foreground", offValues...)},
	"proxyusefdpass":          {"file descriptor passing from the ProxyCommand", refuseUnless("amiko would misread the ProxyCommand's output", offValues...)},
	"bindaddress":             {"choosing the local address", refuseUnless("the connection would leave from another address")},
	"bindinterface":           {"choosing the local interface", refuseUnless("the connection would leave from another interface")},
	"knownhostscommand":       {"host keys from a command", refuseUnless("the keys it lists would be unknown to amiko, and could be replaced", "none")},
	"revokedhostkeys":         {"revoked host key lists", refuseUnless("the keys it revokes would be accepted", "none")},
	"casignaturealgorithms":   {"limiting certificate signature algorithms", refuseUnless("certificates signed otherwise would be accepted")},
	"requiredrsasize":         {"a minimum RSA key size", refuseUnless("shorter RSA keys would be accepted")},
	"gssapiclientidentity":    {"choosing the Kerberos identity", refuseUnless("the default identity would be used and its credentials delegated")},
	"gssapikexalgorithms": {"limiting GSS-API key exchange algorithms", func(c *config, _ []string) string {
		if c.GSSAPIKeyExchange {
			return "GSS-API key exchange methods it excludes would be offered"
		}
		return ""
	}},
}

// canonicalizing reports whether CanonicalizeHostname is on in the
// files read so far.
func canonicalizing(c *config) bool {
	v, ok := c.unimplemented["canonicalizehostname"]
	return ok && slices.Contains([]string{"yes", "true", "always"}, strings.ToLower(v.args[0]))
}

// checkUnimplemented decides about the options config files set that
// amiko does not implement: the first refused one is an error naming
// its file and line; the others are noted for -v.
func (c *config) checkUnimplemented() error {
	keys := make([]string, 0, len(c.unimplemented))
	for k := range c.unimplemented {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, u := c.unimplemented[k], unimplementedOptions[k]
		value := strings.Join(v.args, " ")
		if why := u.refuse(c, v.args); why != "" {
			return &optionError{where: v.where, name: v.keyword, value: value,
				why: fmt.Sprintf("not supported by amiko (%s), and ignoring it is not safe: %s", u.what, why)}
		}
		c.notes = append(c.notes, fmt.Sprintf("amiko: %s: ignoring %s %s: not implemented (%s)", v.where, v.keyword, value, u.what))
	}
	return nil
}
