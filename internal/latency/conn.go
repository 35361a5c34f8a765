package latency

import (
	"net"
	"sync"
)

// proxied is one client connection and its connection to the target,
// joined by a delay line each way.
type proxied struct {
	client, server net.Conn
	up, down       *line // client to server, server to client
	done           chan struct{}
	once           sync.Once
}

func newProxied(client, server net.Conn, cfg Config) *proxied {
	c := &proxied{client: client, server: server, done: make(chan struct{})}
	c.up = newLine(client, server, cfg.OneWay, cfg.MaxInFlight, c.done, c.teardown)
	c.down = newLine(server, client, cfg.OneWay, cfg.MaxInFlight, c.done, c.teardown)
	return c
}

// run carries data until both directions have delivered their EOF, or
// until the connection is torn down, and returns when all four of its
// goroutines have.
func (c *proxied) run() {
	var readers, writers sync.WaitGroup
	for _, l := range []*line{c.up, c.down} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			l.read()
		}()
		writers.Add(1)
		go func() {
			defer writers.Done()
			l.write()
		}()
	}
	// The writers end last in an orderly close: each after passing on its
	// direction's EOF.
	writers.Wait()
	c.teardown(false)
	readers.Wait()
}

// teardown closes both connections and stops both lines. With reset, the
// connections are closed with RST rather than FIN, passing on a reset or
// a failed write as such.
func (c *proxied) teardown(reset bool) {
	c.once.Do(func() {
		close(c.done)
		c.up.close()
		c.down.close()
		for _, conn := range []net.Conn{c.client, c.server} {
			if tc, ok := conn.(*net.TCPConn); ok && reset {
				tc.SetLinger(0)
			}
			conn.Close()
		}
	})
}
