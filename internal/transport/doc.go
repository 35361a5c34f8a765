// Package transport is amiko's SSH transport layer, client side (RFC 4253
// and OpenSSH's extensions): the version exchange, the binary packet
// protocol with its ciphers, MACs and compression, key exchange, strict
// key exchange, ext-info, and rekeying. Its product is a Conn: an
// encrypted packet connection with a session id and the negotiated
// algorithms, on which authentication and the connection protocol run.
//
// amiko has its own transport because golang.org/x/crypto/ssh's cannot do
// compression or GSS-API key exchange and cannot be extended; it reuses
// x/crypto/ssh for host key parsing and signature verification.
//
// The files follow crypto/tls's split:
//
//   - conn.go: the Conn, its read path (which runs key exchanges as the
//     server's KEXINIT arrives) and write path (which queues during one).
//   - handshake.go: the version exchange and the key exchange state
//     machine, host key verification, key derivation (keys.go).
//   - version.go, negotiate.go: the version line, algorithm negotiation.
//   - algorithms.go: the preference lists, legacy opt-ins, OpenSSH's list
//     syntax and paramiko's disabled_algorithms.
//   - cipher*.go, mac.go: one file per cipher family, sealing and opening
//     whole packets in place in reused buffers (no allocation per packet).
//   - kex_*.go: one file per key exchange family, behind the kexMethod
//     interface (kex.go), which GSS-API key exchange implements too;
//     kex_guess.go decides when the first kex message goes out with
//     KEXINIT as a guess (KexGuesses).
//   - packet_reader.go: the read buffer packets are decrypted in.
//
// Compression uses internal/zlib, whose inflater resumes across packets.
package transport
