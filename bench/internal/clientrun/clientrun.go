// Package clientrun is what the benchmark's client programs share: their
// command line, which mimics ssh's, and the connect loop that times each
// connection and the CPU they take.
//
// Every client under measurement is a program of its own, so that the
// orchestrator can take its CPU time from the kernel (rusage of the child)
// and no two clients share a process, a heap or a garbage collector.
package clientrun

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Flags is a client program's command line:
//
//	client -addr 127.0.0.1:port -user u -key path -known-hosts path [-count k | -fanout n] [-report path] command...
type Flags struct {
	Host       string
	Port       int
	User       string
	Key        string // private key file, OpenSSH format
	KnownHosts string
	// Count > 0 asks for the connect loop: Count connections, one after
	// another, each running Command with its output discarded.
	Count int
	// Fanout > 0 asks for Fanout: that many connections at once.
	Fanout int
	// Report is where the loop's Report or Fanout's FanoutReport goes,
	// as JSON.
	Report string
	// Compress asks for compression (zlib@openssh.com, zlib).
	Compress bool
	// CPUProfile, if set, is where a pprof CPU profile of the run goes.
	CPUProfile string
	// NoIO asks for the ceiling experiment: the command's standard
	// streams are not the process's (see NoIOStdout and NoIOStdin).
	NoIO    bool
	Command string
}

// ParseFlags parses os.Args into Flags, exiting with status 2 on misuse.
func ParseFlags() Flags {
	var f Flags
	addr := flag.String("addr", "", "server address, host:port")
	flag.StringVar(&f.User, "user", "", "user name")
	flag.StringVar(&f.Key, "key", "", "private key file")
	flag.StringVar(&f.KnownHosts, "known-hosts", "", "known_hosts file")
	flag.IntVar(&f.Count, "count", 0, "connect this many times and write a report")
	flag.IntVar(&f.Fanout, "fanout", 0, "make this many connections at once and write a report")
	flag.StringVar(&f.Report, "report", "", "where the JSON report goes")
	flag.BoolVar(&f.Compress, "compress", false, "ask for compression")
	flag.StringVar(&f.CPUProfile, "cpuprofile", "", "write a CPU profile here")
	flag.BoolVar(&f.NoIO, "no-io", false, "ceiling experiment: drop the output, one byte out per MiB started; input: zeros, as many as the file on stdin holds")
	flag.Parse()
	host, port, err := net.SplitHostPort(*addr)
	if err == nil {
		f.Host = host
		f.Port, err = strconv.Atoi(port)
	}
	if err != nil || f.User == "" || f.Key == "" || f.KnownHosts == "" || flag.NArg() == 0 ||
		(f.Count > 0 || f.Fanout > 0) != (f.Report != "") || (f.Count > 0 && f.Fanout > 0) || (f.NoIO && (f.Count > 0 || f.Fanout > 0)) {
		fmt.Fprintf(os.Stderr, "usage: %s -addr host:port -user u -key file -known-hosts file [-count k | -fanout n] [-report file] [-no-io] command\n", os.Args[0])
		os.Exit(2)
	}
	f.Command = strings.Join(flag.Args(), " ")
	return f
}

// StartProfile starts a CPU profile if the flags ask for one, and
// returns the function that ends it.
func (f Flags) StartProfile() func() {
	if f.CPUProfile == "" {
		return func() {}
	}
	out, err := os.Create(f.CPUProfile)
	if err != nil {
		Fatal(err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		out.Close()
	}
}

// Report is what the connect loop measured. The orchestrator reads it.
type Report struct {
	// ConnectNS holds, per connection, the time from dialing to the
	// command's exit status, in nanoseconds; closing the connection
	// comes after.
	ConnectNS []int64 `json:"connect_ns"`
	// UserNS and SysNS are the CPU time the process spent in the loop,
	// all connections together.
	UserNS int64 `json:"user_ns"`
	SysNS  int64 `json:"sys_ns"`
}

// Loop runs once count times, one after another, timing each, after one
// warm-up connection that is not counted (it pays for what a process does
// only once: loading code, filling lazy tables). once connects and runs
// the command to its exit status, and returns what closes the connection:
// the clock stops before that, the CPU count does not. Loop writes the
// Report to path.
func Loop(count int, path string, once func() (close func(), err error)) error {
	closeConn, err := once()
	if err != nil {
		return fmt.Errorf("warm-up connection: %w", err)
	}
	closeConn()
	var r Report
	u0, s0 := cpuTimes()
	for range count {
		start := time.Now()
		closeConn, err := once()
		if err != nil {
			return err
		}
		r.ConnectNS = append(r.ConnectNS, time.Since(start).Nanoseconds())
		closeConn()
	}
	u1, s1 := cpuTimes()
	r.UserNS, r.SysNS = u1-u0, s1-s0
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func cpuTimes() (user, sys int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		Fatal(err)
	}
	return ru.Utime.Nano(), ru.Stime.Nano()
}

// Fatal reports err and exits with ssh's status for a failure of its own.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(255)
}
