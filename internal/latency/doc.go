// Package latency is a TCP proxy that delays the data it carries, so that
// a connection over loopback behaves like one across a wide-area network.
//
// Throughput over SSH depends on round trips (the handshake, the channel
// window, SFTP's request pipeline), and loopback has none worth the name.
// The kernel's netem would add delay, but it is not available on the
// machines the tests run on, so this proxy does it in user space:
//
//	p, err := latency.New(server.Addr, 25*time.Millisecond) // 50 ms round trip
//	...
//	defer p.Close()
//	conn, err := net.Dial("tcp", p.Addr())
//
// Each direction of each connection is a delay line, not stop-and-wait:
// what is read at time t is written at t+oneWay while later data is
// already being read, so bandwidth is not limited, only latency added. The
// data held in each direction is bounded (Config.MaxInFlight); when the
// bound is reached the proxy stops reading, and TCP's flow control slows
// the sender, as a full network path would. A half-close (EOF in one
// direction) is passed on after the same delay.
package latency
