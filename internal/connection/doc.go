// Package connection is the SSH connection protocol (RFC 4254): the
// channel multiplexer that runs over an authenticated transport.
//
// A Conn owns one goroutine, the read loop, which decodes every message
// from the transport and dispatches it: channel data is copied into the
// channel's receive buffer, replies are matched to their requests in
// order, and requests from the peer are answered. Nothing else runs in
// the background: a blocked Read or Write waits on a condition variable
// of its channel (one per stream for readers, one for writers, so that
// data wakes only its own readers), not in a goroutine of its own.
//
// Flow control follows the RFC with two rules of amiko's own. A channel's
// receive window starts at 2 MiB (OpenSSH's default) and grows, doubling
// up to Config.MaxWindow, while the peer is limited by it: the read loop
// measures how much data arrives during one round trip (a
// keepalive@openssh.com global request) and grows the window when that
// is most of the window, the way gRPC estimates the bandwidth-delay
// product; measurements that do not grow it are spaced out (up to eight
// windows apart), so that a fast path is not pinged with every window
// adjust. And window is handed back to the peer only as the application
// consumes data, so a channel never buffers more than it granted: in
// eighths of the window, so that a window-limited peer keeps most of it
// in use, or in halves, as OpenSSH does, once a round trip under a
// millisecond showed that half a window per round trip is plenty.
//
// Channels accept data messages of up to 128 KiB, four times OpenSSH's
// 32 KiB: OpenSSH's sshd reads a command's output 32 KiB at a time and
// sends one packet per turn of its loop, so only packets larger than
// its reads let it drain what it buffered while it could not send, and
// the cost of that buffer grows with the square of its size (conn.go).
package connection
