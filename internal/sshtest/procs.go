package sshtest

import (
	"errors"
	"os/exec"
	"sync"
)

// errStopped is returned for a process started after its server stopped.
var errStopped = errors.New("sshtest: server stopped")

// procs tracks one server's processes, so that the test's cleanup can
// kill whatever is still running, descendants included, and wait until
// everything is reaped.
type procs struct {
	mu      sync.Mutex
	running map[*exec.Cmd]bool
	stopped bool
	wg      sync.WaitGroup
}

func newProcs() *procs {
	return &procs{running: map[*exec.Cmd]bool{}}
}

// start starts cmd, unless the set is stopped, and reaps it when it exits.
// cmd's standard streams must be *os.File or nil, so that reaping never
// waits on a copying goroutine held up by a descendant.
func (p *procs) start(cmd *exec.Cmd) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return errStopped
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	p.running[cmd] = true
	p.wg.Add(1)
	go p.reap(cmd)
	return nil
}

func (p *procs) reap(cmd *exec.Cmd) {
	defer p.wg.Done()
	// Forget the process before reaping it: once reaped, its pid may
	// belong to a stranger, whom stop must not signal.
	err := waitExited(cmd.Process.Pid)
	if err == nil {
		p.forget(cmd)
	}
	cmd.Wait()
	if err != nil {
		p.forget(cmd)
	}
}

func (p *procs) forget(cmd *exec.Cmd) {
	p.mu.Lock()
	delete(p.running, cmd)
	p.mu.Unlock()
}

// stop kills every process still running, with its descendants, and
// waits until all are reaped. Later starts fail.
func (p *procs) stop() {
	p.mu.Lock()
	p.stopped = true
	for cmd := range p.running {
		killTree(cmd.Process.Pid)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
