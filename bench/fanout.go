package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
)

// fanoutRow is n connections at once from one Go client to the x/crypto
// server (in its own process), each running `true` and then left idle.
type fanoutRow struct {
	Peer string                 `json:"peer"`
	R    clientrun.FanoutReport `json:"report"`
	// Per idle connection: resident memory growth (after GC) and
	// goroutines, over the n connections.
	RSSPerConnKB      float64 `json:"rss_per_conn_kb"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
}

// fanoutAll measures the Go clients only: the figures are a Go
// process's (goroutines), and ssh and paramiko would need a process or a
// thread per connection.
func (b *bench) fanoutAll(res *results, fail func(string, error)) {
	d, err := b.daemon("xssh")
	if err != nil {
		fail("xssh server", err)
		return
	}
	for _, p := range peers {
		if p.name != "amiko" && p.name != "xssh" {
			continue
		}
		report := b.runFile("fanout-" + p.name)
		argv := p.argv(b.f, d.addr, "", "", "true")
		n := len(argv) - 1
		argv = append(append(append([]string{}, argv[:n]...), "-fanout", itoa(b.cfg.fanout), "-report", report), argv[n])
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.timeout)
		out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		cancel()
		if err != nil {
			fail("fanout "+p.name, fmt.Errorf("%v: %s", err, tail(out)))
			continue
		}
		row := fanoutRow{Peer: p.name}
		raw, err := os.ReadFile(report)
		if err == nil {
			err = json.Unmarshal(raw, &row.R)
		}
		if err != nil {
			fail("fanout "+p.name, err)
			continue
		}
		if ok := row.R.N - row.R.Failed; ok > 0 {
			row.RSSPerConnKB = float64(row.R.IdleRSSKB-row.R.BaseRSSKB) / float64(ok)
			row.GoroutinesPerConn = float64(row.R.IdleGoroutines-row.R.BaseGoroutines) / float64(ok)
		}
		if row.R.Failed > 0 {
			fail("fanout "+p.name, fmt.Errorf("%d of %d connections failed: %s", row.R.Failed, row.R.N, row.R.FirstError))
		}
		b.logf("fanout   %-9s %d connections in %.2f s, peak RSS %d MiB, idle: %.1f KiB and %.2f goroutines per connection",
			p.name, row.R.N, float64(row.R.WallNS)/1e9, row.R.PeakRSSKB>>10, row.RSSPerConnKB, row.GoroutinesPerConn)
		res.Fanout = append(res.Fanout, row)
	}
}
