// Package sftp runs SFTP over an amiko connection, with
// github.com/pkg/sftp as the SFTP client.
//
// NewClient opens a session channel on an amiko.Client, starts the
// server's "sftp" subsystem on it and returns a *sftp.Client from
// github.com/pkg/sftp (called pkgsftp here) speaking over the channel.
// Everything after that is pkg/sftp's API: Open, Create, Stat, ReadDir,
// Rename, Remove, Walk and the rest. Errors for missing files and
// permissions match os.ErrNotExist and os.ErrPermission with errors.Is.
// A server that breaks SFTP's version exchange gives a *ProtocolError.
//
// SFTP lives in its own package so that programs that only run commands
// do not link pkg/sftp.
//
// # Lifetime
//
// The context passed to NewClient bounds only the opening: the session
// channel, the subsystem request and SFTP's version exchange. Closing the
// returned client sends EOF and closes the session channel, and returns
// once pkg/sftp's reader and this package's goroutine have ended; the
// amiko.Client stays connected, and can carry more SFTP clients, commands
// and forwards at the same time. If the connection ends first, the SFTP
// client's calls fail with an error and Close still returns.
//
// pkg/sftp's Close waits for a write in progress. A write the server no
// longer takes (its window stays shut) holds Close up; closing the
// amiko.Client ends both.
//
// # Throughput
//
// SFTP is request and response: a client that waits for each 32 KiB write
// or read to be acknowledged before sending the next one is bound by the
// round trip, even on loopback. pkg/sftp can keep many requests in flight
// per file, when reading by default, when writing only if asked. NewClient
// asks for both:
//
//	pkgsftp.UseConcurrentReads(true)
//	pkgsftp.UseConcurrentWrites(true)
//	pkgsftp.MaxConcurrentRequestsPerFile(64)
//
// The concurrent paths are taken by File.ReadFrom and File.WriteTo, which
// io.Copy uses, and by large single Reads and Writes.
//
// Measured against OpenSSH 9.2's sftp-server on loopback, on a 2-core
// machine shared with other work (so medians of six runs of 512 MiB each
// way, chacha20-poly1305): with nothing in flight, about 130 MB/s each
// way; with pkg/sftp's own defaults (concurrent reads only), uploads stay
// there and downloads reach about 290 MB/s; with 64 requests in flight
// both ways, about 260 MB/s up and 330 MB/s down. 16 and 32 requests did
// a little worse, 128 and 256 no better and often worse for uploads: at
// 32 KiB each, 64 requests keep 2 MiB in flight, as much as sshd's
// session channel window holds. BenchmarkTransfer repeats the comparison, with
// golang.org/x/crypto/ssh under pkg/sftp (about 100 MB/s up and 150 MB/s
// down with the same settings) and OpenSSH's sftp (about 210 and 250).
//
// Concurrent writes have one cost, which pkg/sftp documents: when a write
// fails, later offsets may already have been written, so the remote file
// can be longer than what was written without error. Truncate it after a
// failed copy, or pass pkgsftp.UseConcurrentWrites(false).
//
// Requests are 32 KiB by default, the size every server must take. A
// server that offers OpenSSH's limits@openssh.com extension is asked for
// its limits first (one round trip, as OpenSSH's sftp does), and the
// requests grow to what they allow, at most 255 KiB: against OpenSSH's
// sftp-server, an eighth of the requests, and in side-by-side runs
// (bench, quick, 256 MiB) the client's CPU per GB about 25% lower and
// both directions about even with OpenSSH's sftp, where with 32 KiB
// downloads trailed it by 10-40%. pkg/sftp has no way to send that
// request, so NewClient runs SFTP's version exchange itself and replays
// the server's VERSION to pkg/sftp.
//
// Options given to NewClient are applied after these, so they override
// them: pkgsftp.MaxPacketUnchecked sets the request size whatever the
// server says.
package sftp
