package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
	"github.com/amiko-ssh/amiko/internal/latency"
)

// connects is the connect measurement of one client against one server
// at one round-trip time: connect, authenticate, run `true`, take its
// exit status.
type connects struct {
	N        int     `json:"n"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	// CPUMS is the client's CPU (user+system) per connection. For the
	// programs with a connect loop it is measured in the process around
	// the loop, so it leaves out starting the program (the Python
	// interpreter and importing paramiko above all); for ssh, whose unit
	// is a process, it is the whole process.
	CPUMS float64 `json:"cpu_ms"`
}

// connect measures n connections of p to addr, after one warm-up
// connection that does not count.
func (b *bench) connect(p peer, addr string, n int, timeout time.Duration) (connects, error) {
	argv := p.argv(b.f, addr, "", "", "true")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var times []time.Duration
	var cpu time.Duration
	if p.loops {
		report := b.runFile("connect-" + p.name)
		argv = loopArgv(argv, n, report)
		if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
			return connects{}, fmt.Errorf("%s: %v: %s", p.name, err, tail(out))
		}
		var r clientrun.Report
		raw, err := os.ReadFile(report)
		if err == nil {
			err = json.Unmarshal(raw, &r)
		}
		if err != nil {
			return connects{}, fmt.Errorf("%s: report: %v", p.name, err)
		}
		for _, ns := range r.ConnectNS {
			times = append(times, time.Duration(ns))
		}
		cpu = time.Duration(r.UserNS + r.SysNS)
	} else {
		for i := range n + 1 {
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return connects{}, fmt.Errorf("%s: %v: %s", p.name, err, tail(out.Bytes()))
			}
			if i == 0 {
				continue // warm-up
			}
			times = append(times, time.Since(start))
			cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}
	if len(times) == 0 {
		return connects{}, fmt.Errorf("%s: no connections measured", p.name)
	}
	slices.Sort(times)
	return connects{
		N:        len(times),
		MedianMS: ms(times[len(times)/2]),
		MinMS:    ms(times[0]),
		CPUMS:    ms(cpu) / float64(len(times)),
	}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pingPong measures the round-trip time through a latency proxy: one
// byte there and back, n times, through an echo server. It is the check
// that the proxy adds what it should before anything is measured through
// it, and the RTT that round trips are counted in.
func pingPong(oneWay time.Duration, n int) (median time.Duration, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	addr := ln.Addr().String()
	if oneWay > 0 {
		p, err := latency.New(addr, oneWay)
		if err != nil {
			return 0, err
		}
		defer p.Close()
		addr = p.Addr()
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Duration(n)*(2*oneWay+time.Second) + 5*time.Second))
	var rtts []time.Duration
	b := []byte{0}
	for range n {
		start := time.Now()
		if _, err := c.Write(b); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return 0, err
		}
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	return rtts[len(rtts)/2], nil
}
