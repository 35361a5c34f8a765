package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// compressRow is one download of text-like data, with compression on or
// off, and what crossed the wire for it.
type compressRow struct {
	Peer     string   `json:"peer"`
	Compress bool     `json:"compress"`
	Best     transfer `json:"best"`
	// WireBytes is what the server sent over TCP on the connection,
	// handshake included.
	WireBytes int64 `json:"wire_bytes"`
}

// compressAll downloads the same text file with each client that has
// compression, with it and without, through a proxy that counts bytes.
// The aes128-ctr server serves everyone, as paramiko has nothing else.
func (b *bench) compressAll(res *results, fail func(string, error)) {
	c := ciphers[2]
	srv := b.sshds[c.cipher]
	text := filepath.Join(b.f.runDir, "text")
	if err := writeText(text, b.cfg.compression); err != nil {
		fail("compression text", err)
		return
	}
	counter, err := newCountingProxy(srv.addr)
	if err != nil {
		fail("compression proxy", err)
		return
	}
	defer counter.close()
	if err := b.f.addKnown(counter.addr()); err != nil {
		fail("known_hosts", err)
		return
	}
	for _, p := range peers {
		if p.compress == nil || !p.supports(c.cipher) {
			continue
		}
		for _, on := range []bool{false, true} {
			s := runSpec{peer: p, srv: srv, addr: counter.addr(), cipher: c.cipher, mac: c.mac,
				size: b.cfg.compression, timeout: b.cfg.timeout, source: text, compress: on}
			counter.reset()
			t, err := b.download(s)
			if err != nil {
				fail(fmt.Sprintf("compression %v %s", on, p.name), err)
				continue
			}
			row := compressRow{Peer: p.name, Compress: on, Best: t, WireBytes: counter.wireBytes(10 * time.Second)}
			b.logf("compress %-5v %-9s %7.1f MB/s  %6.1f MB on the wire  client %3.0f%%",
				on, p.name, t.MBps, float64(row.WireBytes)/1e6, 100*t.ClientCPU)
			res.Compression = append(res.Compression, row)
		}
	}
}

// writeText writes size bytes of log-like text: lines of a few fields
// and words from a small vocabulary, from a fixed seed, so that every run
// compresses alike (zlib gets it to about a quarter).
func writeText(path string, size int64) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() == size {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"session", "channel", "window", "opened", "closed", "request", "accepted",
		"user", "amikotest", "from", "port", "exec", "shell", "subsystem", "sftp", "bytes", "read",
		"write", "key", "exchange", "curve25519-sha256", "aes128-ctr", "rekey", "after", "packets",
		"ok", "failed", "timeout", "retry", "connection", "reset", "by", "peer", "eof", "status"}
	levels := []string{"INFO ", "DEBUG", "WARN ", "ERROR"}
	var written int64
	for written < size {
		line := fmt.Sprintf("2026-11-%02dT%02d:%02d:%02d.%03dZ %s pid=%d",
			1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000), levels[r.IntN(len(levels))], 1000+r.IntN(30000))
		for range 4 + r.IntN(10) {
			line += " " + words[r.IntN(len(words))]
		}
		line += fmt.Sprintf(" 127.0.0.1:%d %d\n", 1024+r.IntN(60000), r.IntN(1<<20))
		if rest := size - written; int64(len(line)) > rest {
			line = line[:rest]
		}
		n, err := w.WriteString(line)
		written += int64(n)
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// countingProxy forwards connections to a target and counts the bytes
// the target sends back: what crossed the wire towards the client.
type countingProxy struct {
	ln     net.Listener
	target string
	down   atomic.Int64
	wg     sync.WaitGroup // the accept loop and every connection's copies

	mu     sync.Mutex
	idle   *sync.Cond // signalled when a connection ends
	active int
}

func newCountingProxy(target string) (*countingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{ln: ln, target: target}
	p.idle = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *countingProxy) addr() string { return p.ln.Addr().String() }
func (p *countingProxy) reset()       { p.down.Store(0) }

// wireBytes waits, up to timeout, until no connection is open, and
// returns the bytes counted since reset.
func (p *countingProxy) wireBytes(timeout time.Duration) int64 {
	t := time.AfterFunc(timeout, p.idle.Broadcast)
	defer t.Stop()
	deadline := time.Now().Add(timeout)
	p.mu.Lock()
	for p.active > 0 && time.Now().Before(deadline) {
		p.idle.Wait()
	}
	p.mu.Unlock()
	return p.down.Load()
}

func (p *countingProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.active++
		p.mu.Unlock()
		var copies sync.WaitGroup
		copies.Add(2)
		p.wg.Add(1)
		go func() {
			defer copies.Done()
			io.Copy(s, c)
			s.(*net.TCPConn).CloseWrite()
		}()
		go func() {
			defer copies.Done()
			io.Copy(countingWriter{c, &p.down}, s)
			c.(*net.TCPConn).CloseWrite()
		}()
		go func() {
			defer p.wg.Done()
			copies.Wait()
			c.Close()
			s.Close()
			p.mu.Lock()
			p.active--
			p.mu.Unlock()
			p.idle.Broadcast()
		}()
	}
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

func (p *countingProxy) close() {
	p.ln.Close()
	p.wg.Wait()
}
