// Command amiko is the command-line tool of the amiko SSH library.
//
//	amiko ssh [options] destination [command [argument ...]]
//	amiko demo
//
// # amiko ssh
//
// amiko ssh connects to an SSH server, runs a command or a shell, and
// exits with the remote command's exit status, as OpenSSH's ssh does. Its
// options are OpenSSH's, with OpenSSH's meaning, where OpenSSH has them:
//
//	amiko ssh [-AaCgKkNnqsTtvXxY] [-c ciphers] [-m macs] [-i identity_file]...
//	          [-J [user@]host[:port][,...]] [-L [bind_address:]port:host:hostport]...
//	          [-R [bind_address:]port:host:hostport]... [-D [bind_address:]port]...
//	          [-l user] [-p port] [-F configfile]
//	          [-o Option=value]... [-W host:port] [-e escape_char]
//	          destination [command [argument ...]]
//
// The destination is [user@]host or ssh://[user@]host[:port]. Options may
// also follow the destination, up to the first word of the command; "--"
// ends them. The command's words are joined with spaces and run by the
// remote user's shell, so quoting works as with ssh.
//
// With a command, amiko runs it with its standard input, output and error
// connected to amiko's (stderr kept apart from stdout). Without one it
// starts the login shell, on a pseudo-terminal when stdin is a terminal:
// the local terminal is put in raw mode for the session and restored after
// it, and window size changes (SIGWINCH) are passed on. -t asks for a
// pseudo-terminal for a command when stdin is a terminal, -tt always,
// -T never. -n reads stdin from /dev/null. -s runs the command as a
// subsystem (such as sftp). -N runs nothing: the connection is held for
// the forwardings until amiko is interrupted. -W host:port connects stdin
// and stdout to host:port through the server, for use as another ssh's
// ProxyCommand. -V prints amiko's version and exits.
//
// Forwarding: -L listens locally and connects through the server, -R asks
// the server to listen and connects from here, -D listens locally as a
// SOCKS server (SOCKS4, SOCKS4a and SOCKS5 without authentication,
// CONNECT only) and connects through the server to where each client
// asks. The bind address defaults to the loopback (-g, GatewayPorts=yes:
// every address for -L and -D), a port of 0 is chosen by the listener
// and printed. A forwarding that cannot be set up is a warning, or the
// end of the run with ExitOnForwardFailure=yes. -A forwards the agent at
// SSH_AUTH_SOCK (-a does not). -X and -Y forward X11 connections to the
// local display (untrusted and trusted, as in OpenSSH; see X11
// forwarding). -J connects through jump hosts, each [user@]host[:port]
// or an ssh:// URI, comma-separated, each reached through the one before
// and configured by the config files for its own host (see Config
// files).
//
// On a pseudo-terminal, the escape character ('~', -e, EscapeChar) typed
// first on a line starts one of ssh's escape sequences: ~. ends the
// connection, ~B sends a BREAK, ~R rekeys, ~^Z suspends, ~# lists the
// forwarded connections, ~? lists the escapes, ~~ sends a '~'.
//
// A -D client is answered once the server has opened its connection or
// refused it: SOCKS5 "connection refused" for the server's "connect
// failed", "connection not allowed by ruleset" for "administratively
// prohibited", "general failure" otherwise, and SOCKS4 "rejected".
// OpenSSH's ssh answers "granted" at once and closes the connection when
// the open fails. A request that amiko does not serve (BIND, UDP
// ASSOCIATE, an unknown address type, authentication other than none)
// gets the protocol's reply for it.
//
// # Options (-o)
//
// Names are case-insensitive; the value follows "=" or white space, and
// is split as in a config file (quotes group words). As in
// ssh_config(5), the first value obtained for an option wins (so "-l
// bob alice@host" logs in as bob), except for the flags that OpenSSH
// applies directly (-A, -a, -C, -c, -m, -J, -K, -k, -g, -t, -T, -v, -q,
// -X, -x, -Y, -N, -n, -s, -e), and IdentityFile, LocalForward,
// RemoteForward and DynamicForward, which accumulate (a value given
// twice is kept once). The command line comes before the config files.
//
//	HostName, Port, User                    where to connect, as whom (HostName: %h expanded)
//	IdentityFile                            a private key file (~, tokens and ${VAR} expanded);
//	                                        giving one turns off the default ~/.ssh/id_* files
//	IdentitiesOnly                          yes: no keys from the agent
//	IdentityAgent                           the agent's socket (tokens, ${VAR}), SSH_AUTH_SOCK, or none
//	PreferredAuthentications                which methods to use (amiko keeps its own order)
//	StrictHostKeyChecking                   see below (default ask)
//	UserKnownHostsFile                      files, space-separated (default ~/.ssh/known_hosts);
//	                                        the first receives new keys; /dev/null and none work
//	GlobalKnownHostsFile                    read-only files (default /etc/ssh/ssh_known_hosts)
//	HostKeyAlias                            the name to look the host key up under
//	HashKnownHosts                          yes: new known_hosts names are hashed
//	ConnectTimeout                          bounds the TCP connect and the SSH negotiation
//	BannerTimeout                           amiko's: bounds the wait for the server's
//	                                        version line (default 15s; 0 means none)
//	BatchMode                               yes: never prompt
//	PasswordAuthentication                  no: no password
//	KbdInteractiveAuthentication            no: no keyboard-interactive prompts
//	PubkeyAuthentication                    no: no keys at all
//	KexAlgorithms, Ciphers, MACs,           OpenSSH's list syntax: "a,b" replaces,
//	HostKeyAlgorithms,                      "+a" appends, "-a" removes (* and ? patterns),
//	PubkeyAcceptedAlgorithms                "^a" prepends; see Limits
//	Compression                             yes: zlib@openssh.com (also -C)
//	GSSAPIAuthentication, GSSAPIKeyExchange, GSSAPIDelegateCredentials, GSSAPIServerIdentity,
//	GSSAPITrustDns                          Kerberos (pure Go, KRB5_CONFIG and the
//	                                        KRB5CCNAME FILE cache kinit writes): yes
//	                                        turns each on (-K: auth and delegation);
//	                                        without a ticket it is skipped
//	ServerAliveInterval, ServerAliveCountMax
//	                                        keepalives; the connection ends after
//	                                        more than CountMax unanswered ones
//	                                        (CountMax 0, as in OpenSSH: once an
//	                                        interval passed with nothing from the
//	                                        server, with no keepalive sent)
//	ProxyCommand                            run with sh -c (%h %n %p %r %% expanded); its stdin
//	                                        and stdout carry the connection (none: off)
//	ProxyJump                               as -J (none: off); whichever of the two comes first wins
//	ForwardAgent, LocalForward, RemoteForward, DynamicForward, GatewayPorts,
//	ExitOnForwardFailure, ClearAllForwardings
//	ForwardX11, ForwardX11Trusted, ForwardX11Timeout
//	                                        as -X and -Y
//	RequestTTY                              auto, yes (-t), force (-tt), no (-T)
//	SessionType                             default, none (-N), subsystem (-s)
//	StdinNull                               yes: as -n
//	RemoteCommand                           the command to run when none is given (tokens expanded)
//	SendEnv, SetEnv                         environment for the session, as OpenSSH sends it
//	                                        (no reply asked; sshd keeps AcceptEnv's names)
//	EscapeChar                              as -e: a character, ^ and a letter, or none
//	LogLevel                                QUIET (-q), ..., INFO, VERBOSE, DEBUG1-3 (-v, -vv, -vvv)
//	IgnoreUnknown                           patterns of unknown keywords a config file may use
//
// On the command line, other OpenSSH options and flags are refused with
// a message naming them, never ignored.
//
// # Config files
//
// amiko ssh reads ssh_config(5) files as OpenSSH's ssh does: the file
// given with -F (none: no file; a missing one is an error), or else
// ~/.ssh/config and then /etc/ssh/ssh_config, either of which may be
// missing. Lines are "Keyword value" or "Keyword=value", keywords
// case-insensitive, arguments in double or single quotes where they
// hold spaces, "#" starting a comment. The first value obtained for each
// option wins, so specific blocks go first and "Host *" last.
//
// Host patterns (whitespace-separated, * and ?, "!" to exclude: a
// negated pattern that matches keeps the block off) are matched against
// the destination as given. Match takes criteria that must all hold,
// each negated by a leading "!": all; host (the HostName set so far, or
// the destination), originalhost (the destination as given), user (the
// remote user so far), localuser (comma-separated pattern lists);
// exec "command", run with $SHELL -c (%-tokens expanded, stdin and
// stdout on /dev/null), which holds when it exits 0 and is not run when
// an earlier criterion failed; final, which makes amiko read every file
// a second time, with Host matched against the HostName, and holds only
// then; canonical, which holds when final does (amiko does no hostname
// canonicalization, so this is OpenSSH's behaviour with
// CanonicalizeHostname off). Include reads files by glob (in order,
// hidden files left out), relative to ~/.ssh in the user's files and to
// /etc/ssh in the system's, within the block it stands in, up to 16
// deep. ~/.ssh/config and included files must not be writable by
// others.
//
// Tokens: IdentityFile, UserKnownHostsFile, IdentityAgent and Match exec
// take %C (a hash of %l%h%p%r), %d (home), %h (the host, after HostName),
// %i (uid), %k (HostKeyAlias or the host), %L and %l (the local host
// name, short and full), %n (the destination as given), %p, %r (the
// remote user), %u (the local user) and %%; the file names also ~ and
// ${VAR}. RemoteCommand takes the same tokens, ProxyCommand %h %n %p %r,
// HostName %h. An unknown token is an error.
//
// Each jump host of ProxyJump or -J is configured by the files for its
// own host, as OpenSSH configures the "ssh -W" it runs for it: its
// HostName, Port, User, IdentityFile, known hosts files and so on, with
// the user and port written in the jump list first; the hosts before it
// in the list are its ProxyJump, and the first takes its own ProxyJump
// or ProxyCommand from the files. Unlike OpenSSH, which passes only -F
// and -v to the jump hosts' ssh, amiko applies the command line's
// options to every hop, but those that say where and as whom to connect
// and how to get there (HostName, Port, User, HostKeyAlias, ProxyJump,
// ProxyCommand).
//
// A keyword OpenSSH does not know is an error naming the file and line
// ("Bad configuration option"), unless an earlier IgnoreUnknown lists
// it. Options that OpenSSH knows and amiko does not implement are
// ignored, with a -v line naming the file and line, when the connection
// is the same without them, or when their absence shows (X11 programs
// find no display, an authentication fails): ControlMaster,
// ControlPath, ControlPersist, AddKeysToAgent, UseKeychain (Apple's),
// VisualHostKey, FingerprintHash, LocalCommand, PermitLocalCommand, CertificateFile (a key's
// key-cert.pub beside it is used), PKCS11Provider, SecurityKeyProvider,
// HostbasedAuthentication, CheckHostIP, VerifyHostKeyDNS, UpdateHostKeys,
// NoHostAuthenticationForLocalhost (amiko checks these hosts' keys as
// any), the Canonicalize options (the name is used as given, as OpenSSH
// does when no CanonicalDomains suffix resolves), AddressFamily,
// ConnectionAttempts, TCPKeepAlive, IPQoS, RekeyLimit, ChannelTimeout,
// ObscureKeystrokeTiming, and OpenSSH's obsolete options. Those whose
// absence would change what the connection does in a way the user
// relied on are refused, naming the file, line and option: Tunnel (but
// no), ForkAfterAuthentication and ProxyUseFdpass (but no), BindAddress,
// BindInterface, KnownHostsCommand and RevokedHostKeys (but none),
// CASignatureAlgorithms, RequiredRSASize, GSSAPIClientIdentity,
// GSSAPIKexAlgorithms with GSSAPIKeyExchange on, and
// CanonicalizeFallbackLocal no with CanonicalizeHostname on. Only the
// value that applies counts: "Tunnel no" in a host's block before
// "Host *" with "Tunnel yes" is fine. -v also shows which files and
// blocks were read.
//
// # X11 forwarding
//
// -X and -Y (ForwardX11) forward X11 as OpenSSH's ssh does. The display
// is DISPLAY's: ":N" or "unix:N" (the local socket /tmp/.X11-unix/XN),
// "host:N" (TCP port 6000+N) or a socket path. The server gets a random
// fake cookie for its X clients; amiko lets an X11 connection through only
// when its setup carries that fake cookie, which it replaces with the
// display's real one, so the real cookie never leaves this machine and a
// process on the server without the fake one cannot reach the display.
//
// -Y (ForwardX11Trusted=yes) uses the display's cookie from `xauth list
// $DISPLAY`; if there is none, amiko warns and uses a random one, as
// OpenSSH does, leaving it to the X server's other access control. Its
// X clients have the full control of the display that local ones have.
//
// -X with ForwardX11Trusted=no, OpenSSH's upstream default, is untrusted
// forwarding (Debian's /etc/ssh/ssh_config sets ForwardX11Trusted yes,
// which makes -X trusted for the hosts it applies to): amiko has
// xauth generate an untrusted cookie with the X SECURITY extension,
// valid for ForwardX11Timeout (20 minutes by default) and a minute more,
// and refuses X11 connections after ForwardX11Timeout. Where the X server
// cannot make one (many have no SECURITY extension), amiko warns
// "untrusted X11 forwarding setup failed" and forwards nothing rather than
// fall back to trusted forwarding; use -Y for a server you trust.
//
// # Host keys
//
// The host key is looked up in GlobalKnownHostsFile and
// UserKnownHostsFile together (hashed names, patterns, @cert-authority
// and @revoked lines as OpenSSH reads them), under "host" for port 22 and
// "[host]:port" otherwise, or under HostKeyAlias. A listed key is
// accepted and a revoked one refused. For a host that is not listed,
// StrictHostKeyChecking decides:
//
//	yes         refuse
//	ask         ask on the terminal (yes, no, or the fingerprint), and refuse
//	            when there is no terminal or BatchMode=yes (the default)
//	accept-new  add the key to the first UserKnownHostsFile, and go on
//	no          the same
//
// A host that is listed with other keys is refused in every mode but
// "no", which, as in OpenSSH, lets the connection go on after a loud
// warning, with password and keyboard-interactive authentication, agent
// forwarding and port forwarding switched off, and known_hosts unchanged.
//
// # Authentication
//
// Keys are tried first: the -i and IdentityFile files, then the agent's
// keys (SSH_AUTH_SOCK, or IdentityAgent), then, when no IdentityFile is
// given, ~/.ssh/id_rsa, id_ecdsa and id_ed25519 (each with its
// -cert.pub). Then the password:
// from the environment variable AMIKO_PASSWORD if set, else from a prompt
// on the terminal (/dev/tty); then keyboard-interactive prompts. An
// encrypted key's passphrase comes from AMIKO_PASSPHRASE, else from a
// prompt. With BatchMode=yes nothing is asked. -v logs each attempt, never
// a secret.
//
// # Exit status and errors
//
// amiko ssh exits with the remote command's status. It exits 255 when the
// remote command was killed by a signal or sent no status, as ssh does,
// and when amiko itself fails: a connection, host key or authentication
// failure then prints one line on stderr, such as
//
//	amiko ssh: connect to host example.com port 22: Connection refused
//	amiko ssh: alice@example.com: Permission denied (publickey,password). Tried: publickey (/home/alice/.ssh/id_ed25519): refused by the server; ...
//
// Text that comes from the server is printed with control characters
// replaced.
//
// # Limits
//
// The algorithm options (-c, -m, KexAlgorithms, ...) keep OpenSSH's list
// syntax and order; naming a legacy algorithm such as ssh-rsa or
// aes128-cbc is the explicit opt-in it needs. Connection multiplexing,
// hostname canonicalization, -4/-6, -f, -G and the options listed
// under Config files as ignored or refused are not implemented. In
// config files, ~ is $HOME (OpenSSH takes the home directory from the
// account database), and Match takes the criteria of OpenSSH 9.2
// (localnetwork, tagged and the newer ones are errors, as they are
// there).
//
// # amiko demo
//
// amiko demo starts an SSH server inside the process on 127.0.0.1, with
// keys generated in a temporary directory, and walks through connecting
// to it as the library does, printing each step: an unknown host refused
// by the default policy, auto-add writing known_hosts, a changed key
// refused, key authentication, password fallback, a command with its exit
// status, and an SFTP upload and download checked by SHA-256. It needs no
// SSH server on the machine, and exits 1 if any step fails.
package main
