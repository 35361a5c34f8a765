package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/amiko-ssh/amiko/internal/knownhosts"
)

// matchHost evaluates a Host line: it applies when some pattern matches
// the host and no negated one does (a negated match excludes the block
// whatever else matches). Host patterns are matched case-sensitively
// against the name as given, as OpenSSH's match_pattern does.
func (r *configReader) matchHost(patterns []string) (bool, error) {
	match := false
	for _, p := range patterns {
		if p == "" {
			return false, errors.New("empty argument")
		}
		negated := strings.HasPrefix(p, "!")
		if negated {
			p = p[1:]
		}
		if knownhosts.MatchPattern(r.host, p) {
			if negated {
				return false, nil
			}
			match = true
		}
	}
	return match, nil
}

// matchLine evaluates a Match line's criteria, as OpenSSH's
// match_cfg_line does: every criterion must hold; "!" negates one;
// "all" stands alone (or after final or canonical); exec runs only if
// the criteria before it held. final and canonical hold in the second
// pass, which a Match final asks for. amiko does no hostname
// canonicalization, so canonical holds exactly when final does, as in
// OpenSSH when CanonicalizeHostname is off.
func (r *configReader) matchLine(args []string) (bool, error) {
	c := r.c
	host := r.host // the HostName so far, as readconf.c takes it
	if !r.final && c.HostName != "" {
		h, err := expandHostName(c.HostName, r.host)
		if err != nil {
			return false, err
		}
		host = h
	}
	remoteUser := c.User
	if remoteUser == "" {
		remoteUser = r.env.user
	}
	result, attributes := true, 0
	for i := 0; i < len(args); i++ {
		attr := args[i]
		negate := strings.HasPrefix(attr, "!")
		if negate {
			attr = attr[1:]
		}
		name := strings.ToLower(attr)
		if name == "all" {
			if attributes > 1 || i+1 < len(args) {
				return false, fmt.Errorf("%q cannot be combined with other Match attributes", args[i])
			}
			return result && !negate, nil
		}
		attributes++
		if name == "final" || name == "canonical" {
			// OpenSSH 9.2 asks for the second pass for "!final" too.
			r.wantFinal = r.wantFinal || name == "final"
			if r.final == negate {
				result = false
			}
			continue
		}
		if i+1 == len(args) || args[i+1] == "" {
			return false, fmt.Errorf("missing Match criteria for %s", attr)
		}
		i++
		arg := args[i]
		var ok bool
		switch name {
		case "host":
			ok = matchPatternList(strings.ToLower(host), arg, true) == 1
		case "originalhost":
			ok = matchPatternList(strings.ToLower(r.original), arg, true) == 1
		case "user":
			ok = matchPatternList(remoteUser, arg, false) == 1
		case "localuser":
			ok = matchPatternList(r.env.user, arg, false) == 1
		case "exec":
			if !result {
				continue // an earlier criterion failed: the command is not run
			}
			t := r.env.tokens(host, r.original, portOr22(c.Port), remoteUser, c.HostKeyAlias)
			cmd, err := t.expand(arg, pathTokens, false)
			if err != nil {
				return false, fmt.Errorf("exec %q: %w", arg, err)
			}
			if ok, err = r.env.runMatchExec(cmd); err != nil {
				return false, err
			}
			r.c.notes = append(r.c.notes, fmt.Sprintf("amiko: Match exec %q: matched %v", cmd, ok))
		default:
			return false, fmt.Errorf("unsupported Match attribute %s", attr)
		}
		if ok == negate {
			result = false
		}
	}
	if attributes == 0 {
		return false, errors.New("one or more attributes required for Match")
	}
	return result, nil
}

// matchPatternList is OpenSSH's match_pattern_list: comma-separated
// patterns, each may be negated with "!". It returns -1 if a negated
// pattern matches, 1 if another does, 0 otherwise. With lower, the
// patterns are lowercased (the caller lowercases s).
func matchPatternList(s, patterns string, lower bool) int {
	result := 0
	for _, p := range strings.Split(patterns, ",") {
		negated := strings.HasPrefix(p, "!")
		if negated {
			p = p[1:]
		}
		if lower {
			p = strings.ToLower(p)
		}
		if knownhosts.MatchPattern(s, p) {
			if negated {
				return -1
			}
			result = 1
		}
	}
	return result
}
