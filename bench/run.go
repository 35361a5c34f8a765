package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/amiko-ssh/amiko/internal/latency"
)

// oneWay is the delay the proxy adds each way: a 50 ms round trip.
const oneWay = 25 * time.Millisecond

// bench holds one run's servers and what it measured.
type bench struct {
	cfg   config
	parts map[string]bool
	f     *fixture
	seq   int // for runFile
	// warm holds the sizes of the upload sources read once already.
	warm map[int64]bool

	sshds    map[string]*sshd // by cipher
	proxies  []*latency.Proxy
	daemons  map[string]*daemon // by name, started on first use
	progress *os.File

	// profileDir, if set, is where amiko's client writes a CPU profile
	// of each transfer (the last repetition's).
	profileDir string

	closeOnce sync.Once
}

func newBench(cfg config, bin string, parts map[string]bool) (*bench, error) {
	f, err := newFixture(bin)
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, parts: parts, f: f, sshds: map[string]*sshd{}, daemons: map[string]*daemon{}, progress: os.Stderr}
	for _, c := range ciphers {
		extra := []string{"Ciphers " + c.cipher}
		if c.mac != "" {
			extra = append(extra, "MACs "+c.mac)
		}
		s, err := startSSHD(f, c.label(), extra...)
		if err != nil {
			b.close()
			return nil, err
		}
		b.sshds[c.cipher] = s
		if err := f.addKnown(s.addr); err != nil {
			b.close()
			return nil, err
		}
	}
	return b, nil
}

// runAndClose runs the benchmark and stops every server, removing the
// temporary directory and the cgroups, also when the run panics or the
// program is interrupted (the servers' processes die with us anyway:
// they are started with a parent-death signal).
func (b *bench) runAndClose(command string) *results {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			b.close()
			os.Exit(130)
		}
	}()
	defer b.close()
	return b.run(command)
}

func (b *bench) close() { b.closeOnce.Do(b.closeAll) }

func (b *bench) closeAll() {
	for _, p := range b.proxies {
		p.Close()
	}
	for _, s := range b.sshds {
		s.close()
	}
	for _, d := range b.daemons {
		d.close()
	}
	b.f.close()
}

func (b *bench) want(part string) bool { return len(b.parts) == 0 || b.parts[part] }

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// proxy starts a 50 ms proxy in front of addr, known by the host key.
func (b *bench) proxy(addr string) (string, error) { return b.proxyDelay(addr, oneWay) }

// proxyDelay starts a proxy adding d each way in front of addr.
func (b *bench) proxyDelay(addr string, d time.Duration) (string, error) {
	p, err := latency.New(addr, d)
	if err != nil {
		return "", err
	}
	b.proxies = append(b.proxies, p)
	return p.Addr(), b.f.addKnown(p.Addr())
}

// run measures everything the configuration and -only ask for.
func (b *bench) run(command string) *results {
	start := time.Now()
	res := newResults(b.cfg, command)
	fail := func(what string, err error) {
		b.logf("FAILED %s: %v", what, err)
		res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", what, err))
	}

	// The proxy first: every figure at 50 ms rests on it.
	delays := []time.Duration{0, oneWay}
	if b.cfg.slope {
		delays = append(delays, 2*oneWay)
	}
	for _, d := range delays {
		rtt, err := pingPong(d, 20)
		if err != nil {
			fail("ping-pong", err)
			return res
		}
		switch d {
		case 0:
			res.LoopbackRTTMS = ms(rtt)
		case oneWay:
			res.RTTMS = ms(rtt)
		default:
			res.RTT100MS = ms(rtt)
		}
	}
	for _, s := range b.sshds {
		if s.cg == nil {
			b.logf("no cgroup v2 here (%v): sshd's CPU is not measured", s.cgErr)
			break
		}
	}
	b.logf("ping-pong: loopback %.3f ms, through the proxy %.2f ms (want 50)", res.LoopbackRTTMS, res.RTTMS)
	if res.RTTMS < 49 || res.RTTMS > 60 {
		fail("ping-pong", fmt.Errorf("round trip through the proxy is %.2f ms, not about 50", res.RTTMS))
	}

	if b.want("loopback") {
		b.transfers(res, "loopback", ciphers, fail)
	}
	if b.want("ceiling") {
		b.transfers(res, "ceiling", slices.DeleteFunc(slices.Clone(ciphers), func(c cipherSpec) bool { return c.mac != "" }), fail)
	}
	if b.want("rtt50") {
		b.transfers(res, "50ms", b.cfg.ciphers50, fail)
	}
	if b.want("connect") {
		b.connectAll(res, fail)
	}
	if b.want("fanout") && b.cfg.fanout > 0 {
		b.fanoutAll(res, fail)
	}
	if b.want("sftp") && b.cfg.sftpSize > 0 {
		b.sftpAll(res, fail)
	}
	if b.want("compression") && b.cfg.compression > 0 {
		b.compressAll(res, fail)
	}
	res.Machine.LoadAvgEnd = strings.TrimSpace(readFile("/proc/loadavg"))
	res.Duration = time.Since(start).Round(time.Second).String()
	return res
}

// daemon returns the named server ("dropbear" or "xssh"), starting it on
// first use.
func (b *bench) daemon(name string) (*daemon, error) {
	if d := b.daemons[name]; d != nil {
		return d, nil
	}
	start := map[string]func(*fixture) (*daemon, error){"dropbear": startDropbear, "xssh": startXSSHServer}[name]
	d, err := start(b.f)
	if err != nil {
		return nil, err
	}
	b.daemons[name] = d
	return d, b.f.addKnown(d.addr)
}

// transfers measures downloads and uploads on one link for each cipher
// and peer. The peers take turns, repetition by repetition, so that a
// burst of load from elsewhere on the machine is less likely to hit one
// peer only; the best repetition counts. The link "ceiling" is loopback
// with amiko's client as a user runs it and as amikoNoIO, taking turns.
func (b *bench) transfers(res *results, link string, list []cipherSpec, fail func(string, error)) {
	for _, c := range list {
		srv := b.sshds[c.cipher]
		spec := runSpec{srv: srv, addr: srv.addr, cipher: c.cipher, mac: c.mac, size: b.cfg.size, timeout: b.cfg.timeout}
		reps := b.cfg.reps
		if link == "50ms" {
			var err error
			if spec.addr, err = b.proxy(srv.addr); err != nil {
				fail("proxy", err)
				return
			}
			spec.size, spec.window, reps = 1<<40, b.cfg.window, b.cfg.reps50
		}
		who := peers
		if link == "ceiling" {
			// amiko as a user runs it, and without moving its streams.
			if peers[0].name != "amiko" {
				return
			}
			who = []peer{peers[0], amikoNoIO}
		}
		var specs []runSpec
		for _, p := range who {
			if !p.supports(c.cipher) {
				continue
			}
			s := spec
			s.peer = p
			if link != "50ms" && srv.cg != nil {
				base, err := b.baseline(s)
				if err != nil {
					fail(fmt.Sprintf("%s %s %s baseline", link, c.label(), p.name), err)
					continue
				}
				s.baselineServer = base
			}
			specs = append(specs, s)
		}
		rows := map[string]*transferRow{}
		for rep := range reps {
			// Each repetition starts with another peer.
			turn := append(append([]runSpec{}, specs[rep%len(specs):]...), specs[:rep%len(specs)]...)
			for _, s := range turn {
				for _, dir := range []string{"download", "upload"} {
					key := s.peer.name + " " + dir
					row := rows[key]
					if row == nil {
						row = &transferRow{Direction: dir, Cipher: c.label(), Link: link, Peer: s.peer.name}
						rows[key] = row
					}
					if b.profileDir != "" && s.peer.name == "amiko" {
						s.profile = filepath.Join(b.profileDir, fmt.Sprintf("amiko-%s-%s-%s.pprof", link, dir, c.label()))
					}
					var t transfer
					var err error
					if dir == "download" {
						t, err = b.download(s)
					} else {
						t, err = b.upload(s)
					}
					if err != nil {
						fail(fmt.Sprintf("%s %s %s %s", link, c.label(), s.peer.name, dir), err)
						continue
					}
					row.Runs = append(row.Runs, t)
					if t.MBps > row.Best.MBps {
						row.Best = t
					}
					b.logf("%-8s %-8s %-30s %-9s #%d %7.1f MB/s  client %3.0f%%  sshd %3.0f%%  machine %3.0f%%",
						link, dir, c.label(), s.peer.name, rep+1, t.MBps, 100*t.ClientCPU, 100*t.ServerCPU, 100*t.MachineCPU)
				}
			}
		}
		for _, s := range specs {
			for _, dir := range []string{"download", "upload"} {
				if row := rows[s.peer.name+" "+dir]; row != nil && len(row.Runs) > 0 {
					res.Transfers = append(res.Transfers, *row)
				}
			}
		}
	}
}

// connectAll measures connect+auth+exec against the fast servers, on
// loopback and at 50 ms.
func (b *bench) connectAll(res *results, fail func(string, error)) {
	for _, name := range []string{"dropbear", "xssh"} {
		d, err := b.daemon(name)
		if err != nil {
			fail(name, err)
			continue
		}
		far, err := b.proxy(d.addr)
		if err != nil {
			fail("proxy", err)
			continue
		}
		farther := ""
		if b.cfg.slope {
			if farther, err = b.proxyDelay(d.addr, 2*oneWay); err != nil {
				fail("proxy", err)
				continue
			}
		}
		for _, p := range peers {
			row := connectRow{Server: d.name, Peer: p.name}
			type leg struct {
				name string
				addr string
				n    int
				dst  *connects
			}
			legs := []leg{{"loopback", d.addr, b.cfg.connectsLoopback, &row.Loopback}, {"50ms", far, b.cfg.connects, &row.At50}}
			if farther != "" {
				row.At100 = &connects{}
				legs = append(legs, leg{"100ms", farther, max(5, b.cfg.connects/2), row.At100})
			}
			ok := true
			for _, link := range legs {
				c, err := b.connect(p, link.addr, link.n, b.cfg.timeout)
				if err != nil {
					fail(fmt.Sprintf("connect %s %s %s", d.name, link.name, p.name), err)
					ok = false
					break
				}
				*link.dst = c
			}
			if !ok {
				continue
			}
			row.RoundTrips = (row.At50.MedianMS - row.Loopback.MedianMS) / res.RTTMS
			b.logf("connect  %-8s %-9s loopback %7.2f ms  50ms %7.1f ms  = %.2f round trips  client CPU %.2f ms",
				d.name, p.name, row.Loopback.MedianMS, row.At50.MedianMS, row.RoundTrips, row.Loopback.CPUMS)
			if row.At100 != nil {
				row.RoundTripsSlope = (row.At100.MedianMS - row.At50.MedianMS) / (res.RTT100MS - res.RTTMS)
				b.logf("connect  %-8s %-9s 100ms %7.1f ms  = %.2f round trips from 50 to 100 ms",
					d.name, p.name, row.At100.MedianMS, row.RoundTripsSlope)
			}
			res.Connects = append(res.Connects, row)
		}
	}
}
