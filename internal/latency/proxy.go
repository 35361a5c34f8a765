package latency

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DefaultMaxInFlight is the default bound on the data held in each
// direction of a connection. It is what the proxy can carry per one-way
// delay: 64 MiB at 25 ms is 2.6 GB/s, more than amiko's largest channel
// window (32 MiB) lets through at that latency, so the proxy adds delay
// and never becomes the limit itself. (16 MiB was: it counts whole read
// buffers, and a 32 MiB window filled it.)
const DefaultMaxInFlight = 64 << 20

// Config configures a Proxy.
type Config struct {
	// OneWay is the delay added in each direction; a round trip through
	// the proxy takes twice as long as without it.
	OneWay time.Duration
	// MaxInFlight bounds the bytes held in each direction of each
	// connection; zero means DefaultMaxInFlight.
	MaxInFlight int
	// DialTimeout bounds connecting to the target; zero means 10 seconds.
	DialTimeout time.Duration
}

// Proxy listens on 127.0.0.1 and forwards each connection to a target
// address with a delay added in each direction.
type Proxy struct {
	target string
	cfg    Config
	ln     net.Listener
	ctx    context.Context // cancelled by Close: ends dials in progress
	cancel context.CancelFunc

	mu     sync.Mutex
	conns  map[*proxied]bool
	closed bool
	wg     sync.WaitGroup
}

// New starts a proxy to target that delays each direction by oneWay.
func New(target string, oneWay time.Duration) (*Proxy, error) {
	return Listen(target, Config{OneWay: oneWay})
}

// Listen starts a proxy to target configured by cfg, listening on
// 127.0.0.1 at an ephemeral port.
func Listen(target string, cfg Config) (*Proxy, error) {
	if cfg.OneWay < 0 {
		return nil, fmt.Errorf("latency: negative delay %v", cfg.OneWay)
	}
	if cfg.MaxInFlight < 0 {
		return nil, fmt.Errorf("latency: negative MaxInFlight %d", cfg.MaxInFlight)
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{target: target, cfg: cfg, ln: ln, ctx: ctx, cancel: cancel, conns: map[*proxied]bool{}}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the address to connect to, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops listening, closes every proxied connection and waits until
// all the proxy's goroutines have ended.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.cancel()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.teardown(false)
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil // closed twice
	}
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors, say: let some close, then go on.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			client.Close()
			return
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(client)
	}
}

// serve connects client to the target and carries data both ways until
// both directions have ended.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	server, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		// The client sees its connection accepted, then closed: what a
		// client of a real path to a dead server would see after the
		// handshake is lost.
		client.Close()
		return
	}
	c := newProxied(client, server, p.cfg)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.teardown(false)
		return
	}
	p.conns[c] = true
	p.mu.Unlock()

	c.run()

	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}
