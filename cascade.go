package amiko

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// cascade is one run of the authentication order: paramiko's
// SSHClient._auth, keeping every attempt for the error.
type cascade struct {
	// ctx is Connect's, for what a method does beyond the connection (a
	// GSS-API mechanism's KDC), within the auth timeout per method.
	ctx      context.Context
	t        *transport.Conn
	clock    *authClock
	at       auth.Transport // t, timed, with the service request's answer pending
	user     string
	log      *slog.Logger
	allowed  []string
	attempts []AuthAttempt
	// keysDone is set once a key earned partial success and the server
	// asks for a password (or keyboard-interactive) next: no more keys.
	keysDone bool
	tried    map[string]bool // public key blobs already offered
	// kiAnswered: the caller's keyboard-interactive answers took over
	// the exchange that the password began.
	kiAnswered bool
	// method is the method that succeeded, with what it used.
	method    string
	gssTarget string // host@name, the GSS-API service
	// preferred, if set, are the only public key algorithms to sign
	// with, and disabled those not to.
	preferred, disabled []string
}

// authenticate runs the cascade, each wait for the server bounded by the
// auth timeout, and returns the method that succeeded.
func (c *Client) authenticate(ctx context.Context, t *transport.Conn, user, gssTarget string, opts *ConnectOptions) (string, error) {
	clock := &authClock{conn: t.NetConn(), timeout: max(0, durationOrDefault(opts.AuthTimeout, defaultAuthTimeout))}
	stop := context.AfterFunc(ctx, clock.interrupt)
	a := &cascade{ctx: ctx, t: t, clock: clock, user: user, log: c.logger(), tried: map[string]bool{}, preferred: opts.PreferredAlgorithms.PublicKeys, disabled: opts.DisabledAlgorithms.PublicKeys}
	a.gssTarget = gssTarget
	err := a.run(opts)
	t.DropGSSContext() // only gssapi-keyex needed it
	if !stop() {
		return "", ctx.Err()
	}
	if err == nil {
		a.log.Info("ssh: authenticated", "user", user, "method", a.method)
	}
	return a.method, err
}

func (a *cascade) run(opts *ConnectOptions) error {
	// The first request goes out with the service request, a round trip
	// sooner; its answer comes after SERVICE_ACCEPT.
	at, err := auth.RequestServicePipelined(&timedTransport{Transport: a.t, clock: a.clock})
	if err != nil {
		return asSSHError(err)
	}
	a.at = at
	// 0. GSS-API first, as paramiko does: gssapi-keyex after a GSS-API
	// key exchange, then gssapi-with-mic.
	if gctx := a.t.GSSContext(); gctx != nil {
		a.log.Debug("ssh: trying gssapi-keyex")
		ok, err := a.result("gssapi-keyex", a.gssTarget, auth.GSSAPIKeyex(a.at, a.user, gctx))
		if ok || err != nil {
			return err
		}
	}
	if opts.GSSAuth {
		if ok, err := a.tryGSSAPI(opts); ok || err != nil {
			return err
		}
	}

	// 1. The key given: pkey, then key_filename; 2. keys from the agent;
	// 3. keys discovered in ~/.ssh.
	if opts.PKey != nil {
		if ok, err := a.tryKey("pkey", opts.PKey); ok || err != nil {
			return err
		}
	}
	if ok, err := a.tryKeyFiles(opts.KeyFilenames, false, opts); ok || err != nil {
		return err
	}
	if !opts.DisableAgent {
		if ok, err := a.tryAgent(opts.AgentSocket); ok || err != nil {
			return err
		}
	}
	if !opts.DisableKeyDiscovery {
		if ok, err := a.tryKeyFiles(discoveredKeyFiles(), true, opts); ok || err != nil {
			return err
		}
	}
	// 4. The password, falling back to keyboard-interactive when that is
	// what the server allows (paramiko's auth_password fallback).
	password := opts.Password
	if password == "" && !opts.EmptyPassword && opts.PasswordCallback != nil && a.allows("password", "keyboard-interactive") {
		var err error
		if password, err = opts.PasswordCallback(); err != nil {
			return err
		}
	}
	if password != "" || opts.EmptyPassword {
		if ok, err := a.tryPassword(password, opts.KeyboardInteractive); ok || err != nil {
			return err
		}
	}
	// 5. Keyboard-interactive with the caller's answers, unless they
	// already answered the exchange step 4 began.
	if opts.KeyboardInteractive != nil && !a.kiAnswered && a.allows("keyboard-interactive") {
		a.log.Debug("ssh: trying keyboard-interactive")
		ok, err := a.result("keyboard-interactive", "", auth.KeyboardInteractive(a.at, a.user, opts.KeyboardInteractive))
		if ok || err != nil {
			return err
		}
	}
	if a.allowed == nil {
		// Nothing was tried: ask with "none", to learn what the server
		// would have allowed (and to succeed where it needs nothing).
		err := auth.None(a.at, a.user)
		var fe *auth.FailureError
		switch {
		case err == nil:
			a.method = "none"
			return nil
		case errors.As(err, &fe):
			a.allowed = fe.Methods
		default:
			return asSSHError(err)
		}
	}
	return a.failure()
}

// The DSA algorithms, by name: x/crypto's constants are deprecated,
// rightly, and these are here only to refuse them by default.
const (
	algoDSA     = "ssh-dss"
	algoDSACert = "ssh-dss-cert-v01@openssh.com"
)

// restrictSigner applies the preferred and disabled public key
// algorithms (OpenSSH's PubkeyAcceptedAlgorithms, paramiko's
// disabled_algorithms "pubkeys") to signer: an RSA key keeps the
// rsa-sha2 algorithms left, and ssh-rsa (SHA-1) only where preferred
// names it; a DSA key is usable only where preferred names ssh-dss (both
// legacy opt-ins, as in OpenSSH since 8.8 and 7.0); any other key only
// if its algorithm (and, for a certificate, its key's) is allowed. It
// returns why the key cannot be used, or "".
func restrictSigner(signer ssh.Signer, preferred, disabled []string) (ssh.Signer, string) {
	pub := signer.PublicKey()
	if (pub.Type() == algoDSA || pub.Type() == algoDSACert) && !slices.Contains(preferred, pub.Type()) {
		return nil, pub.Type() + " is a legacy algorithm, used only when PreferredAlgorithms.PublicKeys lists it"
	}
	if len(preferred) == 0 && len(disabled) == 0 {
		return signer, ""
	}
	usable := func(names []string) []string {
		if len(preferred) > 0 {
			names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !slices.Contains(preferred, n) })
		}
		return transport.RemoveDisabled(names, disabled)
	}
	if pub.Type() != ssh.KeyAlgoRSA && pub.Type() != ssh.CertAlgoRSAv01 {
		if len(usable([]string{pub.Type()})) == 0 {
			return nil, pub.Type() + " is not an allowed algorithm"
		}
		return signer, ""
	}
	// An RSA key, or certificate, signs with rsa-sha2-512 or -256, or
	// with ssh-rsa where preferred names it: the lists name those, or
	// their certificate forms.
	suffix := ""
	if pub.Type() == ssh.CertAlgoRSAv01 {
		suffix = "-cert-v01@openssh.com"
	}
	var allowed []string
	for _, alg := range []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA} {
		if alg == ssh.KeyAlgoRSA && !slices.Contains(preferred, alg+suffix) {
			continue
		}
		if len(usable([]string{alg + suffix})) > 0 {
			allowed = append(allowed, alg)
		}
	}
	if len(allowed) == 2 && !slices.Contains(allowed, ssh.KeyAlgoRSA) {
		return signer, ""
	}
	if len(allowed) == 0 {
		return nil, "neither rsa-sha2-512" + suffix + " nor rsa-sha2-256" + suffix + " is an allowed algorithm"
	}
	as, ok := signer.(ssh.AlgorithmSigner)
	if !ok {
		return signer, "" // SignatureAlgorithm reports it cannot choose
	}
	if ms, ok := signer.(ssh.MultiAlgorithmSigner); ok {
		allowed = slices.DeleteFunc(allowed, func(a string) bool { return !slices.Contains(ms.Algorithms(), a) })
		if len(allowed) == 0 {
			return nil, "the key allows only algorithms that are not allowed"
		}
	}
	restricted, err := ssh.NewSignerWithAlgorithms(as, allowed)
	if err != nil {
		return nil, err.Error()
	}
	if slices.Contains(allowed, ssh.KeyAlgoRSA) {
		return auth.LegacyRSA{MultiAlgorithmSigner: restricted}, ""
	}
	return restricted, ""
}

// neverAccepted returns why the server cannot accept key, judging by the
// signature algorithms it announced in server-sig-algs (RFC 8308), or ""
// if it might. Certificates are judged by their key's algorithm, which is
// what server-sig-algs lists; RSA keys by rsa-sha2-256 and -512.
func (a *cascade) neverAccepted(signer ssh.Signer) string {
	key := signer.PublicKey()
	v, ok := a.t.Extension("server-sig-algs")
	if !ok {
		return ""
	}
	algs := strings.Split(string(v), ",")
	keyType := key.Type()
	if cert, ok := key.(*ssh.Certificate); ok {
		keyType = cert.Key.Type()
	}
	candidates := []string{keyType}
	if keyType == ssh.KeyAlgoRSA {
		candidates = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
		if ms, ok := signer.(auth.LegacyRSA); ok && slices.Contains(ms.Algorithms(), ssh.KeyAlgoRSA) {
			candidates = append(candidates, ssh.KeyAlgoRSA)
		}
	}
	if slices.ContainsFunc(candidates, func(c string) bool { return slices.Contains(algs, c) }) {
		return ""
	}
	return "the server accepts no " + keyType + " signatures (server-sig-algs " + string(v) + ")"
}

// tryPassword tries password authentication, or keyboard-interactive
// answering a round of one prompt with the password when the server
// allows only that (paramiko's fallback). A round of several prompts is
// not a password prompt: it and the rest of the exchange go to the
// caller's keyboard-interactive answers if given, or the exchange is
// abandoned and authentication fails.
func (a *cascade) tryPassword(password string, kiAnswers func(name, instruction string, prompts []Prompt) ([]string, error)) (bool, error) {
	method := "password"
	if a.allowed != nil && !slices.Contains(a.allowed, "password") {
		if !slices.Contains(a.allowed, "keyboard-interactive") {
			return false, nil
		}
		method = "keyboard-interactive"
	}
	for {
		a.log.Debug("ssh: trying " + method)
		var err error
		if method == "password" {
			err = auth.Password(a.at, a.user, password, nil)
		} else {
			err = auth.KeyboardInteractive(a.at, a.user, a.passwordThen(password, kiAnswers))
		}
		if errors.Is(err, auth.ErrNotPasswordPrompt) {
			// Midway through the exchange: no other request may follow.
			a.note(method, "", err)
			return false, a.failure()
		}
		ok, ferr := a.result(method, "", err)
		if ok || ferr != nil {
			return ok, ferr
		}
		if method == "password" && !slices.Contains(a.allowed, "password") && slices.Contains(a.allowed, "keyboard-interactive") {
			method = "keyboard-interactive"
			continue
		}
		return false, nil
	}
}

// passwordThen answers keyboard-interactive with password, as
// auth.PasswordAnswerer does, until a round is not a password prompt;
// that round and the next go to kiAnswers, if given.
func (a *cascade) passwordThen(password string, kiAnswers func(name, instruction string, prompts []Prompt) ([]string, error)) func(name, instruction string, prompts []Prompt) ([]string, error) {
	withPassword := auth.PasswordAnswerer(password)
	return func(name, instruction string, prompts []Prompt) ([]string, error) {
		if !a.kiAnswered {
			answers, err := withPassword(name, instruction, prompts)
			if !errors.Is(err, auth.ErrNotPasswordPrompt) || kiAnswers == nil {
				return answers, err
			}
			a.log.Debug("ssh: keyboard-interactive asks more than a password; the caller answers", "prompts", len(prompts))
			a.kiAnswered = true
		}
		return kiAnswers(name, instruction, prompts)
	}
}

// tryKeyFiles loads and offers each key file. A discovered id_dsa is
// noted and skipped unless the caller opted in to ssh-dss, before its
// passphrase is asked for: ssh-dss is a legacy algorithm. (A DSA key
// from anywhere else, a given file among them, is skipped by
// restrictSigner, by its type.)
func (a *cascade) tryKeyFiles(files []string, discovered bool, opts *ConnectOptions) (bool, error) {
	for _, f := range files {
		if a.keysDone {
			break
		}
		if discovered && filepath.Base(f) == "id_dsa" && !slices.Contains(a.preferred, algoDSA) {
			a.note("publickey", f, errors.New("DSA keys (ssh-dss) are a legacy algorithm, used only when PreferredAlgorithms.PublicKeys lists it"))
			continue
		}
		signer, err := loadKeyFile(f, opts.Passphrase, opts.Password, opts.PassphraseCallback)
		if err != nil {
			a.note("publickey", f, err)
			continue
		}
		if ok, err := a.tryKey(f, signer); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// tryAgent offers the keys of the agent at sock (see agentSocket).
func (a *cascade) tryAgent(sock string) (bool, error) {
	signers, closeAgent := agentSigners(a.ctx, sock)
	defer closeAgent()
	for _, s := range signers {
		if a.keysDone {
			break
		}
		if ok, err := a.tryKey("agent: "+ssh.FingerprintSHA256(s.PublicKey()), s); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// tryKey offers one key. It returns true when authentication is complete,
// and an error only for failures that end the cascade (the connection is
// gone).
func (a *cascade) tryKey(source string, signer ssh.Signer) (bool, error) {
	blob := string(signer.PublicKey().Marshal())
	if a.tried[blob] {
		return false, nil
	}
	a.tried[blob] = true
	if a.allowed != nil && !slices.Contains(a.allowed, "publickey") {
		return false, nil
	}
	signer, reason := restrictSigner(signer, a.preferred, a.disabled)
	if reason == "" {
		reason = a.neverAccepted(signer)
	}
	if reason != "" {
		// Offering it would only count towards the server's MaxAuthTries.
		a.note("publickey", source, errors.New(reason))
		return false, nil
	}
	a.log.Debug("ssh: trying public key", "source", source, "type", signer.PublicKey().Type())
	err := auth.PublicKey(a.at, a.user, signer)
	return a.result("publickey", source, err)
}

// result records the outcome of one attempt.
func (a *cascade) result(method, source string, err error) (bool, error) {
	if err == nil {
		a.method = method
		if source != "" {
			a.method += " (" + source + ")"
		}
		return true, nil
	}
	var fe *auth.FailureError
	var se *auth.SignerError
	if errors.As(err, &se) {
		// Nothing was sent: the key could not sign. Note it and go on.
		a.note(method, source, err)
		return false, nil
	}
	if !errors.As(err, &fe) {
		var de *transport.DisconnectError
		if errors.As(err, &de) {
			a.note(method, source, err)
			return false, a.failure()
		}
		return false, asSSHError(err)
	}
	a.allowed = fe.Methods
	if fe.PartialSuccess {
		a.note(method, source, errors.New("partial success; the server wants more"))
		if method == "publickey" && !slices.Contains(fe.Methods, "publickey") {
			a.keysDone = true
		}
		return false, nil
	}
	a.note(method, source, errors.New("refused by the server"))
	return false, nil
}

// allows reports whether the server may accept one of methods: true
// until it has said which it allows.
func (a *cascade) allows(methods ...string) bool {
	return a.allowed == nil || slices.ContainsFunc(methods, func(m string) bool { return slices.Contains(a.allowed, m) })
}

func (a *cascade) note(method, source string, err error) {
	a.attempts = append(a.attempts, AuthAttempt{Method: method, Source: source, Err: err})
}

func (a *cascade) failure() error {
	return &AuthenticationError{User: a.user, Allowed: a.allowed, Attempts: a.attempts}
}

// agentSocket is the agent's socket: given, or SSH_AUTH_SOCK's.
func agentSocket(given string) string {
	if given != "" {
		return given
	}
	return os.Getenv("SSH_AUTH_SOCK")
}

// agentSigners returns the keys of the agent at sock (agentSocket's), if
// any, and a function that closes the connection to it. Ending ctx closes
// it too, so that an agent that does not answer (or waits for its user
// to confirm a signature) holds Connect no longer than its context.
func agentSigners(ctx context.Context, sock string) ([]ssh.Signer, func()) {
	sock = agentSocket(sock)
	if sock == "" {
		return nil, func() {}
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := d.DialContext(dctx, "unix", sock)
	cancel()
	if err != nil {
		return nil, func() {}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	closeAgent := func() { stop(); conn.Close() }
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		closeAgent()
		return nil, func() {}
	}
	return signers, closeAgent
}
