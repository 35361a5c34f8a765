package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// results is one run, as written to JSON.
type results struct {
	Date          string            `json:"date"`
	Mode          string            `json:"mode"`
	Command       string            `json:"command"`
	Duration      string            `json:"duration"`
	Machine       machine           `json:"machine"`
	Versions      map[string]string `json:"versions"`
	Settings      settings          `json:"settings"`
	LoopbackRTTMS float64           `json:"loopback_rtt_ms"`
	RTTMS         float64           `json:"rtt_ms"` // through the proxy, by ping-pong
	RTT100MS      float64           `json:"rtt_100_ms,omitempty"`
	Transfers     []transferRow     `json:"transfers"`
	Connects      []connectRow      `json:"connects"`
	Fanout        []fanoutRow       `json:"fanout,omitempty"`
	SFTP          []sftpRow         `json:"sftp,omitempty"`
	Compression   []compressRow     `json:"compression,omitempty"`
	Errors        []string          `json:"errors,omitempty"`
}

type machine struct {
	CPUs       int    `json:"cpus"`
	Model      string `json:"model"`
	Kernel     string `json:"kernel"`
	LoadAvg    string `json:"loadavg_at_start"`
	LoadAvgEnd string `json:"loadavg_at_end"`
}

type settings struct {
	TransferBytes    int64  `json:"transfer_bytes"`
	Window50ms       string `json:"window_50ms"`
	Reps             int    `json:"reps"`
	Reps50           int    `json:"reps_50ms,omitempty"`
	Connects         int    `json:"connects"`
	ConnectsLoopback int    `json:"connects_loopback,omitempty"`
	Fanout           int    `json:"fanout"`
	SFTPBytes        int64  `json:"sftp_bytes"`
	CompressionBytes int64  `json:"compression_bytes"`
}

type transferRow struct {
	Direction string     `json:"direction"`
	Cipher    string     `json:"cipher"`
	Link      string     `json:"link"` // "loopback" or "50ms"
	Peer      string     `json:"peer"`
	Best      transfer   `json:"best"` // the fastest of Runs
	Runs      []transfer `json:"runs"`
}

type connectRow struct {
	Server     string   `json:"server"`
	Peer       string   `json:"peer"`
	Loopback   connects `json:"loopback"`
	At50       connects `json:"at_50ms"`
	RoundTrips float64  `json:"round_trips"` // (median at 50 ms - median on loopback) / RTT
	// At100 and RoundTripsSlope (full mode): the same at 100 ms, and
	// (median at 100 ms - median at 50 ms) / 50 ms. The slope leaves out
	// whatever a client spends on loopback that a longer round trip
	// hides, as the 40 ms delayed-ACK stalls of a client that keeps
	// Nagle's algorithm on (ssh, paramiko) during the handshake.
	At100           *connects `json:"at_100ms,omitempty"`
	RoundTripsSlope float64   `json:"round_trips_slope,omitempty"`
}

func newResults(cfg config, command string) *results {
	r := &results{
		Date:    time.Now().Format(time.RFC3339),
		Mode:    cfg.mode,
		Command: command,
		Machine: machine{
			CPUs:    runtime.NumCPU(),
			Model:   cpuModel(),
			Kernel:  strings.TrimSpace(output("uname", "-r")),
			LoadAvg: strings.TrimSpace(readFile("/proc/loadavg")),
		},
		Versions: versions(),
		Settings: settings{TransferBytes: cfg.size, Window50ms: cfg.window.String(), Reps: cfg.reps, Reps50: cfg.reps50, Connects: cfg.connects, ConnectsLoopback: cfg.connectsLoopback,
			Fanout: cfg.fanout, SFTPBytes: cfg.sftpSize, CompressionBytes: cfg.compression},
	}
	return r
}

// cpuModel is lscpu's "Model name".
func cpuModel() string {
	for _, l := range strings.Split(output("lscpu"), "\n") {
		if v, ok := strings.CutPrefix(l, "Model name:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func versions() map[string]string {
	v := map[string]string{
		"go":       runtime.Version(),
		"openssh":  firstLine(output("ssh", "-V")),
		"dropbear": firstLine(output("/usr/sbin/dropbear", "-V")),
		"paramiko": strings.TrimSpace(output(python, "-c", "import paramiko; print(paramiko.__version__)")),
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "golang.org/x/crypto" {
				v["x/crypto"] = d.Version
			}
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v["amiko"] = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					v["amiko_modified"] = "true"
				}
			}
		}
	}
	return v
}

func output(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return string(out)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// write writes <mode>.json, <mode>.svg and <mode>.md into dir.
func (r *results) write(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, r.Mode+".json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, r.Mode+".svg"), []byte(r.svg()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, r.Mode+".md"), []byte(r.markdown()), 0o644)
}

func (r *results) transfer(link, dir, cipher, peer string) (transfer, bool) {
	t, ok := r.transferRow(link, dir, cipher, peer)
	return t.Best, ok
}

func (r *results) transferRow(link, dir, cipher, peer string) (transferRow, bool) {
	for _, t := range r.Transfers {
		if t.Link == link && t.Direction == dir && t.Cipher == cipher && t.Peer == peer {
			return t, true
		}
	}
	return transferRow{}, false
}

// cpuPerGB is the client's CPU seconds per 10^9 bytes moved, the least
// of the repetitions. It is steadier than the rate on a busy machine: time
// spent waiting for a core does not count. It includes the handshake and,
// for ssh and paramiko, starting the process (a few milliseconds: noise
// for 2 GiB, a few per cent for 256 MiB).
func (t transferRow) cpuPerGB() float64 {
	best := 0.0
	for _, run := range t.Runs {
		if run.Bytes == 0 || run.ClientCPU == 0 {
			continue
		}
		v := run.ClientCPU * run.Seconds / (float64(run.Bytes) / 1e9)
		if best == 0 || v < best {
			best = v
		}
	}
	return best
}

func (r *results) sftp(dir, peer string) (transfer, bool) {
	for _, t := range r.SFTP {
		if t.Direction == dir && t.Peer == peer {
			return t.Best, true
		}
	}
	return transfer{}, false
}

func (r *results) fanout(peer string) (fanoutRow, bool) {
	for _, f := range r.Fanout {
		if f.Peer == peer {
			return f, true
		}
	}
	return fanoutRow{}, false
}

func (r *results) compression(on bool, peer string) (compressRow, bool) {
	for _, c := range r.Compression {
		if c.Compress == on && c.Peer == peer {
			return c, true
		}
	}
	return compressRow{}, false
}

func (r *results) connect(server, peer string) (connectRow, bool) {
	for _, c := range r.Connects {
		if c.Server == server && c.Peer == peer {
			return c, true
		}
	}
	return connectRow{}, false
}

// markdown is the table: each peer's figure, and amiko's ratio to it,
// written so that above 1 always means amiko is ahead.
func (r *results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`, %s, %s; %d CPUs (%s), load average %s at the start, %s at the end; %s",
		r.Command, r.Date, r.Duration, r.Machine.CPUs, r.Machine.Model, firstField(r.Machine.LoadAvg), firstField(r.Machine.LoadAvgEnd), r.Versions["openssh"])
	if rev := r.Versions["amiko"]; rev != "" {
		fmt.Fprintf(&b, "; amiko %s", rev)
	}
	b.WriteString(".\n\n")
	b.WriteString("| workload | amiko |")
	for _, p := range peers[1:] {
		fmt.Fprintf(&b, " %s | ratio |", p.label)
	}
	b.WriteString("\n| --- | --- |")
	for range peers[1:] {
		b.WriteString(" --- | --- |")
	}
	b.WriteString("\n")

	row := func(name string, cell func(peer string) (string, float64, bool), higherBetter bool) {
		a, av, aok := cell("amiko")
		if !aok {
			a = "n/a"
		}
		fmt.Fprintf(&b, "| %s | %s |", name, a)
		for _, p := range peers[1:] {
			s, v, ok := cell(p.name)
			if !ok {
				b.WriteString(" n/a | |")
				continue
			}
			ratio := ""
			if aok && av > 0 && v > 0 {
				q := av / v
				if !higherBetter {
					q = v / av
				}
				ratio = fmt.Sprintf("%.2fx", q)
			}
			fmt.Fprintf(&b, " %s | %s |", s, ratio)
		}
		b.WriteString("\n")
	}

	for _, link := range []string{"loopback", "50ms"} {
		for _, dir := range []string{"download", "upload"} {
			for _, c := range ciphers {
				if _, ok := r.transfer(link, dir, c.label(), "amiko"); !ok {
					if _, ok := r.transfer(link, dir, c.label(), "openssh"); !ok {
						continue
					}
				}
				name := fmt.Sprintf("%s %s, %s", dir, c.label(), map[string]string{"loopback": "loopback", "50ms": "50 ms RTT"}[link])
				row(name, func(peer string) (string, float64, bool) {
					t, ok := r.transfer(link, dir, c.label(), peer)
					if !ok {
						return "", 0, false
					}
					s := fmt.Sprintf("%.0f MB/s", t.MBps)
					switch {
					case t.ServerCPU > 0 && t.MachineCPU > 0:
						s += fmt.Sprintf(" (sshd %.0f%%, machine %.0f%%)", 100*t.ServerCPU, 100*t.MachineCPU)
					case t.ServerCPU > 0:
						s += fmt.Sprintf(" (sshd %.0f%%)", 100*t.ServerCPU)
					}
					if t.TimedOut {
						s += " (timed out)"
					}
					return s, t.MBps, true
				}, true)
			}
		}
	}
	for _, dir := range []string{"download", "upload"} {
		for _, c := range ciphers {
			if _, ok := r.transferRow("loopback", dir, c.label(), "amiko"); !ok {
				continue
			}
			row(fmt.Sprintf("client CPU per GB, %s %s, loopback", dir, c.label()), func(peer string) (string, float64, bool) {
				t, ok := r.transferRow("loopback", dir, c.label(), peer)
				v := t.cpuPerGB()
				return fmt.Sprintf("%.2f s", v), v, ok && v > 0
			}, false)
		}
	}
	for _, server := range []string{"dropbear", "xssh"} {
		if _, ok := r.connect(server, "amiko"); !ok {
			continue
		}
		row(fmt.Sprintf("connect+auth+exec, %s, loopback", server), func(peer string) (string, float64, bool) {
			c, ok := r.connect(server, peer)
			return fmt.Sprintf("%.1f ms", c.Loopback.MedianMS), c.Loopback.MedianMS, ok
		}, false)
		row(fmt.Sprintf("connect+auth+exec, %s, 50 ms RTT", server), func(peer string) (string, float64, bool) {
			c, ok := r.connect(server, peer)
			return fmt.Sprintf("%.0f ms", c.At50.MedianMS), c.At50.MedianMS, ok
		}, false)
		row(fmt.Sprintf("round trips, %s, (50 ms - loopback) / RTT", server), func(peer string) (string, float64, bool) {
			c, ok := r.connect(server, peer)
			return fmt.Sprintf("%.2f", c.RoundTrips), c.RoundTrips, ok
		}, false)
		if c, _ := r.connect(server, "amiko"); c.At100 != nil {
			row(fmt.Sprintf("round trips, %s, from 50 to 100 ms RTT", server), func(peer string) (string, float64, bool) {
				c, ok := r.connect(server, peer)
				return fmt.Sprintf("%.2f", c.RoundTripsSlope), c.RoundTripsSlope, ok
			}, false)
		}
		row(fmt.Sprintf("client CPU per connection, %s", server), func(peer string) (string, float64, bool) {
			c, ok := r.connect(server, peer)
			return fmt.Sprintf("%.1f ms", c.Loopback.CPUMS), c.Loopback.CPUMS, ok
		}, false)
	}
	for _, dir := range []string{"download", "upload"} {
		if _, ok := r.sftp(dir, "amiko"); !ok {
			continue
		}
		row(fmt.Sprintf("SFTP %s, %s (OpenSSH: sftp; x/crypto: pkg/sftp)", dir, sizeName(r.Settings.SFTPBytes)), func(peer string) (string, float64, bool) {
			t, ok := r.sftp(dir, peer)
			return fmt.Sprintf("%.0f MB/s (sshd %.0f%%)", t.MBps, 100*t.ServerCPU), t.MBps, ok
		}, true)
	}
	if _, ok := r.fanout("amiko"); ok {
		n := r.Settings.Fanout
		row(fmt.Sprintf("fan-out: %d connections at once, wall time", n), func(peer string) (string, float64, bool) {
			f, ok := r.fanout(peer)
			return fmt.Sprintf("%.2f s", float64(f.R.WallNS)/1e9), float64(f.R.WallNS), ok
		}, false)
		row(fmt.Sprintf("fan-out: peak RSS, %d connections", n), func(peer string) (string, float64, bool) {
			f, ok := r.fanout(peer)
			return fmt.Sprintf("%d MiB", f.R.PeakRSSKB>>10), float64(f.R.PeakRSSKB), ok
		}, false)
		row("idle connection: RSS", func(peer string) (string, float64, bool) {
			f, ok := r.fanout(peer)
			return fmt.Sprintf("%.1f KiB", f.RSSPerConnKB), f.RSSPerConnKB, ok
		}, false)
		row("idle connection: goroutines", func(peer string) (string, float64, bool) {
			f, ok := r.fanout(peer)
			return fmt.Sprintf("%.2f", f.GoroutinesPerConn), f.GoroutinesPerConn, ok
		}, false)
	}
	for _, on := range []bool{false, true} {
		if _, ok := r.compression(on, "amiko"); !ok {
			continue
		}
		name := "compression off"
		if on {
			name = "compression on (ssh -C)"
		}
		row(fmt.Sprintf("text download, %s, %s", sizeName(r.Settings.CompressionBytes), name), func(peer string) (string, float64, bool) {
			c, ok := r.compression(on, peer)
			return fmt.Sprintf("%.1f MB/s, %.1f MB on the wire", c.Best.MBps, float64(c.WireBytes)/1e6), c.Best.MBps, ok
		}, true)
	}
	b.WriteString("\nratio: amiko's advantage over the peer (above 1: amiko is ahead): amiko/peer for throughput, peer/amiko for time, round trips and CPU.\n")
	fmt.Fprintf(&b, "RTT through the proxy by ping-pong: %.2f ms. Transfers: %s on loopback", r.RTTMS, sizeName(r.Settings.TransferBytes))
	if r.Settings.Reps > 1 {
		fmt.Fprintf(&b, ", best of %d", r.Settings.Reps)
	}
	fmt.Fprintf(&b, "; at 50 ms, %s from the first byte", r.Settings.Window50ms)
	if r.Settings.Reps50 > 1 {
		fmt.Fprintf(&b, ", best of %d", r.Settings.Reps50)
	}
	fmt.Fprintf(&b, ". Connect: median of %d", r.Settings.Connects)
	if n := r.Settings.ConnectsLoopback; n > 0 && n != r.Settings.Connects {
		fmt.Fprintf(&b, " (on loopback, where the client's CPU is measured, of %d)", n)
	}
	b.WriteString(".\n")
	r.ceilingMarkdown(&b)
	return b.String()
}

// ceilingMarkdown is the ceiling part's table: amiko's client as a user
// runs it and, in the same turns, without moving its standard streams,
// and how far ahead of ssh and x/crypto/ssh (their loopback rows) the
// latter is: a client that delivers its output, and does its SSH work at
// no less than amiko's cost, cannot be further ahead.
func (r *results) ceilingMarkdown(b *strings.Builder) {
	header := false
	for _, dir := range []string{"download", "upload"} {
		for _, c := range ciphers {
			ceil, ok := r.transferRow("ceiling", dir, c.label(), amikoNoIO.name)
			user, uok := r.transferRow("ceiling", dir, c.label(), "amiko")
			if !ok || !uok || ceil.Best.MBps == 0 {
				continue
			}
			if !header {
				b.WriteString("\nCeiling: amiko's client as above and, taking turns with it, with its standard streams not moved (`-no-io`: the output counted and dropped in the process, the input made there), the rest of the pipeline unchanged.\n\n")
				b.WriteString("| workload | amiko, streams not moved | amiko | amiko / ceiling | ceiling / OpenSSH ssh | ceiling / x/crypto/ssh |\n| --- | --- | --- | --- | --- | --- |\n")
				header = true
			}
			cell := func(t transferRow) string {
				return fmt.Sprintf("%.0f MB/s, %.2f s CPU/GB (sshd %.0f%%, machine %.0f%%)", t.Best.MBps, t.cpuPerGB(), 100*t.Best.ServerCPU, 100*t.Best.MachineCPU)
			}
			ratio := func(peer string) string {
				if t, ok := r.transfer("loopback", dir, c.label(), peer); ok && t.MBps > 0 {
					return fmt.Sprintf("%.2fx", ceil.Best.MBps/t.MBps)
				}
				return "n/a"
			}
			fmt.Fprintf(b, "| %s %s, loopback | %s | %s | %.2f | %s | %s |\n", dir, c.label(), cell(ceil), cell(user),
				user.Best.MBps/ceil.Best.MBps, ratio("openssh"), ratio("xssh"))
		}
	}
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func sizeName(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
