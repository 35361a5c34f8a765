package sshtest

import (
	"net"
	"sync"
	"testing"
)

// ServeTCP listens on 127.0.0.1 with an ephemeral port and runs serve on
// each connection, which it closes afterwards: a peer under the test's
// exact control (a server that stalls, lies or echoes). When t ends the
// listener and every open connection are closed, and ServeTCP waits for
// each serve to return.
func ServeTCP(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	closed := false
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[nc] = true
			if closed { // accepted while the cleanup ran
				nc.Close()
			}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(nc)
				nc.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		closed = true
		for nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}
