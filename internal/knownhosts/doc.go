// Package knownhosts is the host key store behind the client: OpenSSH's
// known_hosts files, read, checked against and added to the way OpenSSH
// does, the way paramiko's HostKeys does but without its data loss.
//
// A File holds one known_hosts file in memory, every line as it was, so
// that saving it writes back comments, blank lines, CRLF endings,
// markers, hashed names and lines nobody can parse exactly as they were.
// Lookup finds the lines that name a host; Check decides whether the key
// a server presented is the host's, revoked, changed or new, across the
// system and user files together; KnownKeyTypes tells the transport which
// host key algorithms to ask for first; Add and Save record a new host.
//
// Matching follows OpenSSH's hostfile.c and match.c, including their
// corners: a marker ends at the first space on the line, a hashed host
// field holds exactly one name, a sub-pattern of 1023 bytes or more
// makes a whole pattern list fail, a line that does not parse is skipped.
// golang.org/x/crypto/ssh parses the keys and certificates, and
// golang.org/x/crypto/ssh/knownhosts hashes new names; its own
// HostKeyCallback is not used, because it can neither add nor save, does
// not say which key types a host has, and reports a host whose known key
// is of another type than the presented one as changed (golang/go#29286),
// where the fix belongs in choosing the algorithm (KnownKeyTypes).
//
// Saving merges under a lock with whatever other processes wrote since
// the file was read, and replaces the file atomically, so concurrent
// clients do not lose each other's additions and an interrupted save
// leaves the old file whole.
package knownhosts
