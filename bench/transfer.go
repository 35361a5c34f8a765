package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// transfer is one measured download or upload.
type transfer struct {
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"` // first byte to last, where the data lands
	MBps    float64 `json:"mb_per_s"`
	// ClientCPU is the client process's CPU (user+system) over its whole
	// life, handshake included, as a share of Seconds: 1.0 is one core.
	ClientCPU float64 `json:"client_cpu"`
	// ServerCPU is sshd's CPU for the transfer, as a share of Seconds:
	// its whole connection minus the command it ran (head, the sink, the
	// shell) and minus what a connection running `true` cost it. A
	// time-boxed download, whose connection is cut, reads the
	// connection's cgroup at its first byte and when it is cut instead:
	// sshd and `head` together over the window. Zero where not measured
	// (time-boxed uploads).
	ServerCPU float64 `json:"server_cpu,omitempty"`
	// MachineCPU is the share of all the machine's cores that were busy
	// meanwhile (/proc/stat), whoever used them: near 1.0 means the
	// machine, not one program, was the limit.
	MachineCPU float64 `json:"machine_cpu,omitempty"`
	TimedOut   bool    `json:"timed_out,omitempty"`
}

// runSpec is what one transfer needs to know.
type runSpec struct {
	peer           peer
	srv            *sshd
	addr           string // the server's, or a proxy's in front of it
	cipher, mac    string
	size           int64         // bytes to move; with window, an upper bound
	window         time.Duration // if set, measure this long from the first byte, then stop
	timeout        time.Duration // hang guard for the whole run
	baselineServer time.Duration // sshd's CPU for a connection running `true`
	source         string        // if set, downloads cat this file instead of head -c
	compress       bool          // ask for compression
	profile        string        // if set, where the client writes a CPU profile (Go clients)
}

// argv is the client's command line for command.
func (s runSpec) argv(b *bench, command string) []string {
	argv := s.peer.argv(b.f, s.addr, s.cipher, s.mac, command)
	if s.compress {
		argv = s.peer.compress(argv)
	}
	if s.profile != "" {
		n := len(argv) - 1 // the command is last
		argv = append(append(append([]string{}, argv[:n]...), "-cpuprofile", s.profile), argv[n])
	}
	return argv
}

// download runs `head -c size /dev/zero` on the server. The client's
// standard output is a pipe we read: the time runs from its first byte to
// its end, so the handshake is not counted, and only bytes that reached
// the client's reader are.
func (b *bench) download(s runSpec) (transfer, error) {
	timesFile := b.runFile("times")
	command := fmt.Sprintf("head -c %d /dev/zero; times >%s", s.size, timesFile)
	if s.source != "" {
		command = fmt.Sprintf("cat %s; times >%s", s.source, timesFile)
	}
	argv := s.argv(b, command)
	r, w, err := os.Pipe()
	if err != nil {
		return transfer{}, err
	}
	defer r.Close()
	// A bigger pipe means fewer wake-ups of the client and of us.
	syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, 1<<20)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return transfer{}, err
	}
	defer devnull.Close()

	mark, markErr := s.srv.mark()
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, w, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		w.Close()
		return transfer{}, err
	}
	w.Close()
	deadline := time.Now().Add(s.timeout)
	r.SetReadDeadline(deadline)

	var res transfer
	var first, last time.Time
	var busy cpuTicks
	var serverAtFirst cpuMark
	var serverErr error
	buf := make([]byte, 1<<20)
	for {
		n, err := r.Read(buf)
		now := time.Now()
		if n > 0 {
			if res.Bytes == 0 {
				first = now
				busy = readCPUTicks()
				serverAtFirst, serverErr = s.srv.mark()
			}
			res.Bytes += int64(n) * max(s.peer.scale, 1)
			last = now
		}
		if s.window > 0 && res.Bytes > 0 && now.Sub(first) >= s.window {
			if atCut, err := s.srv.mark(); serverErr == nil && err == nil {
				res.ServerCPU = time.Duration(atCut-serverAtFirst).Seconds() / now.Sub(first).Seconds()
			}
			cmd.Process.Kill()
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			res.TimedOut = true
			cmd.Process.Kill()
			break
		}
		if err != nil {
			break // EOF, or the client died: Wait says which
		}
	}
	res.MachineCPU = busy.shareSince()
	if s.peer.scale > 1 {
		res.Bytes = min(res.Bytes, s.size) // the first byte's token counts one MiB too many
	}
	werr := cmd.Wait()
	if res.Bytes > 0 {
		res.Seconds = last.Sub(first).Seconds()
	}
	return b.finishTransfer(s, res, cmd.ProcessState, werr, stderr.Bytes(), mark, markErr, timesFile)
}

// upload sends size bytes (from a sparse file, read as zeros) to the
// sink on the server, which is `cat > /dev/null` that also notes when
// the first and the last byte came and how many there were.
func (b *bench) upload(s runSpec) (transfer, error) {
	timesFile, sinkFile := b.runFile("times"), b.runFile("sink")
	command := fmt.Sprintf("%s sink -out %s -window %s; times >%s", b.f.sink, sinkFile, s.window, timesFile)
	argv := s.argv(b, command)
	in, err := b.zeros(s.size)
	if err != nil {
		return transfer{}, err
	}
	defer in.Close()

	mark, markErr := s.srv.mark()
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stderr = in, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// With a window, the sink exits when it is over, and every client
	// exits when the channel closes, whatever stdin still holds.
	busy := readCPUTicks()
	werr := cmd.Run()
	var res transfer
	res.MachineCPU = busy.shareSince() // the handshake too: a few ms of seconds
	res.TimedOut = ctx.Err() != nil
	var sink sinkReport
	if b, err := os.ReadFile(sinkFile); err == nil {
		json.Unmarshal(b, &sink)
	}
	res.Bytes, res.Seconds = sink.Bytes, time.Duration(sink.NS).Seconds()
	return b.finishTransfer(s, res, cmd.ProcessState, werr, stderr.Bytes(), mark, markErr, timesFile)
}

// finishTransfer completes res once the client exited (with werr): its
// CPU, and for a transfer that was not time-boxed, the check that every
// byte arrived and sshd's share of the CPU since mark.
func (b *bench) finishTransfer(s runSpec, res transfer, ps *os.ProcessState, werr error, stderr []byte,
	mark cpuMark, markErr error, timesFile string) (transfer, error) {
	res.finish(ps)
	if s.window > 0 || res.TimedOut {
		return res, nil
	}
	if werr != nil || res.Bytes != s.size {
		return res, fmt.Errorf("%s: %d of %d bytes, %v: %s", s.peer.name, res.Bytes, s.size, werr, tail(stderr))
	}
	var err error
	if markErr == nil && s.baselineServer > 0 {
		res.ServerCPU, err = b.serverShare(s, mark, timesFile, res.Seconds)
	}
	return res, err
}

// baseline measures what sshd spends on a connection that runs `true`
// for this client, to take out of its CPU for a transfer.
func (b *bench) baseline(s runSpec) (time.Duration, error) {
	timesFile := b.runFile("times")
	argv := s.argv(b, "true; times >"+timesFile)
	mark, err := s.srv.mark()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s: true: %v: %s", s.peer.name, err, tail(out))
	}
	total, err := s.srv.cpuSince(mark, 10*time.Second)
	if err != nil {
		return 0, err
	}
	command, err := readTimes(timesFile)
	if err != nil {
		return 0, err
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "debug: %s baseline sshd total %v command %v\n", s.peer.name, total, command)
	}
	return total - command, nil
}

// serverShare is sshd's CPU for the transfer as a share of its time: the
// connection's CPU from its cgroup, less the command's (the shell's
// `times`), less the baseline connection's.
func (b *bench) serverShare(s runSpec, mark cpuMark, timesFile string, seconds float64) (float64, error) {
	total, err := s.srv.cpuSince(mark, 10*time.Second)
	if err != nil {
		return 0, err
	}
	command, err := readTimes(timesFile)
	if err != nil {
		return 0, err
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "debug: %s sshd total %v command %v baseline %v over %.3fs\n", s.peer.name, total, command, s.baselineServer, seconds)
	}
	if seconds <= 0 {
		return 0, nil
	}
	return (total - command - s.baselineServer).Seconds() / seconds, nil
}

// finish fills in the rate and the client's CPU share.
func (t *transfer) finish(ps *os.ProcessState) {
	if t.Seconds > 0 {
		t.MBps = float64(t.Bytes) / t.Seconds / 1e6
		if ps != nil {
			t.ClientCPU = (ps.UserTime() + ps.SystemTime()).Seconds() / t.Seconds
		}
	}
}

var timesField = regexp.MustCompile(`(\d+)m([0-9.]+)s`)

// readTimes sums the shell's `times` output: its own user and system
// time, then its children's ("0m0.004000s 0m0.000000s" twice).
func readTimes(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("the command's times: %w", err)
	}
	var sum time.Duration
	for _, m := range timesField.FindAllStringSubmatch(string(b), -1) {
		min, _ := strconv.Atoi(m[1])
		sec, _ := strconv.ParseFloat(m[2], 64)
		sum += time.Duration(min)*time.Minute + time.Duration(sec*float64(time.Second))
	}
	return sum, nil
}

// zeros opens a sparse file of size bytes.
func (b *bench) zeros(size int64) (*os.File, error) {
	path := filepath.Join(b.f.dir, "zeros-"+strconv.FormatInt(size, 10))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	// Read it once before the first upload: the first read of a sparse
	// file fills the page cache, which cost whichever client went first
	// (a 2 GiB upload ran at 260 MB/s, the next at 690). Not the 1 TiB
	// source of the time-boxed uploads, which read only what they send.
	if !b.warm[size] && size <= 1<<32 {
		if _, err := io.Copy(io.Discard, f); err != nil {
			f.Close()
			return nil, err
		}
		if b.warm == nil {
			b.warm = map[int64]bool{}
		}
		b.warm[size] = true
	}
	_, err = f.Seek(0, io.SeekStart)
	return f, err
}

// runFile names a fresh file in the directory the commands write to.
func (b *bench) runFile(what string) string {
	b.seq++
	return filepath.Join(b.f.runDir, fmt.Sprintf("%s-%d", what, b.seq))
}

// tail is the end of a client's error output, for error messages.
func tail(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// cpuTicks is the machine's CPU time from /proc/stat's first line, in
// clock ticks: busy (user, nice, system, irq, softirq, steal) and all.
type cpuTicks struct{ busy, all uint64 }

func readCPUTicks() cpuTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTicks{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var t cpuTicks
	for i, name := range f[1:] {
		v, _ := strconv.ParseUint(name, 10, 64)
		t.all += v
		if i != 3 && i != 4 { // idle, iowait
			t.busy += v
		}
	}
	return t
}

// shareSince returns the share of the machine's CPU time that was busy
// since t was read; 0 where /proc/stat is missing.
func (t cpuTicks) shareSince() float64 {
	now := readCPUTicks()
	if t.all == 0 || now.all <= t.all {
		return 0
	}
	return float64(now.busy-t.busy) / float64(now.all-t.all)
}
