package sshtest

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
)

// errStopped is returned for a process started after its server stopped.
var errStopped = errors.New("sshtest: server stopped")

// procs tracks one server's processes, so that the test's cleanup can
// kill whatever is still running, descendants included, and wait until
// everything is reaped.
//
// Where cgroups allow, the processes start in a cgroup of their own and
// cleanup kills the cgroup, which catches descendants that were
// reparented to init; elsewhere it kills the process trees it can still
// see.
type procs struct {
	mu       sync.Mutex
	running  map[*exec.Cmd]bool
	stopped  bool
	wg       sync.WaitGroup
	cg       *cgroup // nil without cgroups
	stopOnce sync.Once
}

func newProcs() *procs {
	p := &procs{running: map[*exec.Cmd]bool{}}
	if cgroupsWork() {
		p.cg, _ = newCgroup()
	}
	return p
}

// cgroupsWork reports whether processes can be started in a new cgroup
// here: it takes cgroup v2, a writable cgroup of our own, and clone3.
var cgroupsWork = sync.OnceValue(func() bool {
	cg, err := newCgroup()
	if err != nil {
		return false
	}
	defer cg.remove()
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	cg.startIn(cmd.SysProcAttr)
	return cmd.Run() == nil
})

// start starts cmd, unless the set is stopped, and reaps it when it
// exits; the channel it returns is closed then. cmd's standard streams
// must be *os.File or nil, so that reaping never waits on a copying
// goroutine held up by a descendant.
func (p *procs) start(cmd *exec.Cmd) (exited <-chan struct{}, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil, errStopped
	}
	if p.cg != nil {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		p.cg.startIn(cmd.SysProcAttr)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.running[cmd] = true
	p.wg.Add(1)
	done := make(chan struct{})
	go p.reap(cmd, done)
	return done, nil
}

func (p *procs) reap(cmd *exec.Cmd, done chan<- struct{}) {
	defer p.wg.Done()
	defer close(done)
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
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopped = true
		if p.cg == nil || p.cg.kill() != nil {
			for cmd := range p.running {
				killTree(cmd.Process.Pid)
			}
		}
		p.mu.Unlock()
		p.wg.Wait()
		if p.cg != nil {
			p.cg.remove()
		}
	})
}
