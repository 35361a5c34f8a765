package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/amiko-ssh/amiko"
)

// exitFailure is ssh's exit status for its own failures (and for a
// remote command that exited 255, which ssh cannot tell apart).
const exitFailure = 255

// failureLine is the one line printed for a failed connection, host key
// check or authentication: no stack, no second line, control characters
// from the server escaped. dest names the destination as given.
func failureLine(err error, dest string) string {
	return "amiko ssh: " + printable(describe(err, dest))
}

// describe says what went wrong in OpenSSH's words where it has some.
func describe(err error, dest string) string {
	var (
		hop     *hopError
		noConn  *amiko.NoValidConnectionsError
		dns     *net.DNSError
		unknown *amiko.UnknownHostError
		refused *unknownHostError
		bad     *amiko.BadHostKeyError
		revoked *amiko.RevokedHostKeyError
		certErr *amiko.HostCertificateError
		authErr *amiko.AuthenticationError
		disc    *amiko.DisconnectError
		neg     *amiko.NegotiationError
		timeout *amiko.TimeoutError
		ka      *amiko.KeepaliveError
		opt     *optionError
	)
	switch {
	case errors.As(err, &hop):
		return "jump host " + hop.hop + ": " + describe(hop.err, hop.host)
	case errors.As(err, &opt):
		return opt.Error()
	case errors.As(err, &noConn):
		return fmt.Sprintf("connect to host %s port %d: %s", noConn.Host, noConn.Port, dialReasons(noConn))
	case errors.As(err, &dns):
		return fmt.Sprintf("Could not resolve hostname %s: %s", dns.Name, dns.Err)
	case errors.As(err, &refused):
		return fmt.Sprintf("Host key verification failed: no host key is known for %s (it presented %s %s): %s",
			refused.Host, refused.Key.Type(), ssh.FingerprintSHA256(refused.Key), refused.why)
	case errors.As(err, &unknown):
		return fmt.Sprintf("Host key verification failed: no host key is known for %s (it presented %s %s)",
			unknown.Host, unknown.Key.Type(), ssh.FingerprintSHA256(unknown.Key))
	case errors.As(err, &bad):
		exp := make([]string, len(bad.Expected))
		for i, k := range bad.Expected {
			exp[i] = k.Type() + " " + ssh.FingerprintSHA256(k)
		}
		return fmt.Sprintf("Host key verification failed: REMOTE HOST IDENTIFICATION HAS CHANGED for %s: it presented %s %s, known_hosts has %s",
			bad.Host, bad.Presented.Type(), ssh.FingerprintSHA256(bad.Presented), strings.Join(exp, ", "))
	case errors.As(err, &revoked), errors.As(err, &certErr):
		return "Host key verification failed: " + strings.TrimPrefix(err.Error(), "knownhosts: ")
	case errors.Is(err, errHostKeyDeclined):
		return "Host key verification failed: " + err.Error()
	case errors.As(err, &authErr):
		return authLine(authErr, dest)
	case errors.Is(err, errKbdInteractiveOff):
		return "Permission denied: " + err.Error()
	case errors.As(err, &disc):
		return fmt.Sprintf("Received disconnect from %s: %s", dest, strings.TrimPrefix(disc.Error(), "ssh: "))
	case errors.As(err, &neg):
		return fmt.Sprintf("Unable to negotiate with %s: %s", dest, strings.TrimPrefix(neg.Error(), "ssh: "))
	case errors.As(err, &ka):
		return fmt.Sprintf("Timeout, server %s not responding.", dest)
	case errors.As(err, &timeout), errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("Connection to %s timed out: %s", dest, strings.TrimPrefix(err.Error(), "ssh: "))
	}
	return strings.TrimPrefix(err.Error(), "ssh: ")
}

// dialReasons gives each address's reason, without Go's "dial tcp"
// wrapping: "Connection refused", as ssh says it.
func dialReasons(e *amiko.NoValidConnectionsError) string {
	addrs := make([]string, 0, len(e.Errors))
	for a := range e.Errors {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	reasons := make([]string, 0, len(addrs))
	for _, a := range addrs {
		err := e.Errors[a]
		var sys *os.SyscallError
		if errors.As(err, &sys) {
			err = sys.Err
		}
		msg := err.Error()
		if len(msg) > 0 {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		if len(addrs) > 1 {
			msg = a + ": " + msg
		}
		reasons = append(reasons, msg)
	}
	return strings.Join(reasons, "; ")
}

// authLine is "user@host: Permission denied (methods)." followed by
// every attempt, on the same line.
func authLine(e *amiko.AuthenticationError, dest string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%s: Permission denied (%s).", e.User, dest, strings.Join(e.Allowed, ","))
	if len(e.Attempts) == 0 {
		b.WriteString(" No authentication method was available: give a key with -i, or a password in AMIKO_PASSWORD.")
		return b.String()
	}
	b.WriteString(" Tried:")
	for i, a := range e.Attempts {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(" " + strings.ReplaceAll(a.String(), "ssh: ", ""))
	}
	return b.String()
}
