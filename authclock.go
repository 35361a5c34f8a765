package amiko

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/amiko-ssh/amiko/internal/auth"
	"github.com/amiko-ssh/amiko/internal/transport"
)

// authClock bounds each wait for the server's answer during
// authentication by the auth timeout, as paramiko's auth_timeout bounds
// each request. Time on our side between reads (a password or passphrase
// typed by a person, keyboard-interactive answers, a signature an agent
// asks its user to confirm) does not count. A cancelled context
// interrupts whatever read or write on the connection is blocked, and no
// later deadline undoes that.
type authClock struct {
	conn    net.Conn
	timeout time.Duration // 0: none

	mu          sync.Mutex
	interrupted bool
}

// interrupt is for the caller's context: a deadline in the past.
func (k *authClock) interrupt() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.interrupted = true
	k.conn.SetDeadline(time.Unix(1, 0))
}

func (k *authClock) setReadDeadline(t time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.interrupted {
		k.conn.SetReadDeadline(t)
	}
}

// timedTransport is the transport as authentication sees it: every read
// is a wait for the server, bounded by the clock.
type timedTransport struct {
	auth.Transport
	clock *authClock
}

func (t *timedTransport) ReadPacket() ([]byte, error) {
	if t.clock.timeout <= 0 {
		return t.Transport.ReadPacket()
	}
	t.clock.setReadDeadline(time.Now().Add(t.clock.timeout))
	p, err := t.Transport.ReadPacket()
	t.clock.setReadDeadline(time.Time{})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, &transport.TimeoutError{Phase: "authentication", After: t.clock.timeout}
	}
	return p, err
}
