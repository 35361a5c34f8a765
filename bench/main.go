// Command bench measures amiko against the SSH clients a user could pick
// instead (OpenSSH's ssh, golang.org/x/crypto/ssh, paramiko), side by side
// in one run, against servers it starts itself on 127.0.0.1: OpenSSH's
// sshd (one "sshd -i" per connection, as internal/sshtest runs it),
// dropbear, and an x/crypto/ssh server in a process of its own
// (bench/xsshserver), with the delay-line proxy of internal/latency in
// front of them for the runs at 50 ms round-trip time.
//
// Run it with scripts/bench, which installs the peers, builds the client
// programs (bench/amikoclient, bench/xsshclient; paramiko's is
// bench/paramiko_client.py) and passes -bin. It needs root: sshd and
// dropbear switch to the test account, amikotest.
//
// It prints a table of each peer's figure and amiko's ratio to it, and
// writes the results as JSON and as an SVG chart to -out. What each
// figure means is in BENCHMARKS.md.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is what a mode (quick or full) measures.
type config struct {
	mode      string
	size      int64         // bytes per loopback transfer
	window    time.Duration // per transfer at 50 ms RTT
	ciphers50 []cipherSpec  // the ciphers measured at 50 ms
	reps      int           // loopback transfers per figure; the best counts
	reps50    int           // the same at 50 ms
	connects  int           // connections per connect figure
	// connectsLoopback is the number on loopback, where connections are
	// cheap and the client's CPU per connection is measured: a few
	// milliseconds each, so 10-20 of them leave it within the noise.
	connectsLoopback int
	slope            bool          // connect at 100 ms too
	timeout          time.Duration // hang guard per transfer
	fanout           int           // connections at once; 0 skips
	sftpSize         int64         // 0 skips
	compression      int64         // bytes of text-like data; 0 skips
}

type cipherSpec struct{ cipher, mac string }

var ciphers = []cipherSpec{
	{"aes128-gcm@openssh.com", ""},
	{"chacha20-poly1305@openssh.com", ""},
	{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
}

// label is how a cipher is named in tables.
func (c cipherSpec) label() string {
	name := strings.TrimSuffix(c.cipher, "@openssh.com")
	if c.mac != "" {
		name += "+" + strings.TrimSuffix(strings.TrimPrefix(c.mac, "hmac-"), "@openssh.com")
	}
	return name
}

var modes = map[string]config{
	"quick": {
		mode: "quick", size: 256 << 20, window: 3 * time.Second,
		ciphers50: ciphers[:1], reps: 2, reps50: 2, connects: 10, connectsLoopback: 30, timeout: 90 * time.Second,
		fanout: 1000, sftpSize: 256 << 20, compression: 64 << 20,
	},
	"full": {
		mode: "full", size: 2 << 30, window: 6 * time.Second,
		ciphers50: ciphers, reps: 2, reps50: 2, connects: 20, connectsLoopback: 60, slope: true,
		timeout: 5 * time.Minute,
		fanout:  1000, sftpSize: 1 << 30, compression: 200 << 20,
	},
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sink" {
		sinkMain(os.Args[2:])
		return
	}
	quick := flag.Bool("quick", false, "the quick mode: smaller transfers, fewer repetitions (under ~3 minutes)")
	bin := flag.String("bin", "", "directory of the client programs (default: this program's)")
	out := flag.String("out", "bench/results", "directory for the JSON results and the chart")
	only := flag.String("only", "", "comma-separated parts to run: loopback,ceiling,rtt50,connect,fanout,sftp,compression (default: all)")
	command := flag.String("command", "", "the command line to record in the results")
	keep := flag.Bool("keep", false, "keep the run's temporary directory (server logs, configuration, keys), for debugging")
	profile := flag.String("profile", "", "directory where amiko's client writes a CPU profile of each transfer (go tool pprof)")
	rev := flag.String("rev", "", "amiko's revision, to record in the results")
	render := flag.String("render", "", "only write the table and the chart again from this results JSON file")
	nice := flag.Int("nice", -10, "scheduling priority of the benchmark and everything it starts (servers, clients)")
	onlyCiphers := flag.String("ciphers", "", "comma-separated ciphers to measure, by table label (gcm, chacha20-poly1305, ...; default: all)")
	onlyPeers := flag.String("peers", "", "comma-separated clients to measure: amiko,openssh,xssh,paramiko (default: all)")
	reps := flag.Int("reps", 0, "loopback transfers per figure, overriding the mode's")
	size := flag.Int64("size", 0, "bytes per loopback transfer, overriding the mode's")
	reps50 := flag.Int("reps50", 0, "transfers per figure at 50 ms RTT, overriding the mode's")
	flag.Parse()

	// The machine may be shared: a higher priority keeps other work from
	// landing on one client's run and not another's. Everything started
	// from here inherits it, servers and clients alike.
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, *nice); err != nil {
		fmt.Fprintf(os.Stderr, "bench: cannot set priority %d: %v\n", *nice, err)
	}

	if *render != "" {
		if err := rerender(*render); err != nil {
			fatal(err)
		}
		return
	}

	if err := narrow(*onlyCiphers, *onlyPeers); err != nil {
		fatal(err)
	}
	cfg := modes["full"]
	if *quick {
		cfg = modes["quick"]
	}
	if *reps > 0 {
		cfg.reps = *reps
	}
	if *size > 0 {
		cfg.size = *size
	}
	if *reps50 > 0 {
		cfg.reps50 = *reps50
	}
	if *bin == "" {
		self, err := os.Executable()
		if err != nil {
			fatal(err)
		}
		*bin = filepath.Dir(self)
	}
	if *command == "" {
		*command = strings.Join(os.Args, " ")
	}
	*command = strings.TrimSpace(*command)
	parts := map[string]bool{}
	for _, p := range strings.Split(*only, ",") {
		switch p {
		case "":
		case "loopback", "ceiling", "rtt50", "connect", "fanout", "sftp", "compression":
			parts[p] = true
		default:
			fatal(fmt.Errorf("-only: unknown part %q (want loopback, ceiling, rtt50, connect, fanout, sftp, compression)", p))
		}
	}
	profileDir := ""
	if *profile != "" {
		var err error
		if profileDir, err = filepath.Abs(*profile); err == nil {
			err = os.MkdirAll(profileDir, 0o755)
		}
		if err != nil {
			fatal(err)
		}
	}
	b, err := newBench(cfg, *bin, parts)
	if err != nil {
		fatal(err)
	}
	b.profileDir = profileDir
	b.f.keep = *keep
	res := b.runAndClose(*command)
	if *rev != "" {
		res.Versions["amiko"] = *rev
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		fatal(err)
	}
	if err := res.write(*out); err != nil {
		fatal(err)
	}
	fmt.Println()
	fmt.Print(res.markdown())
	if len(res.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "\n%d measurements failed:\n  %s\n", len(res.Errors), strings.Join(res.Errors, "\n  "))
		os.Exit(1)
	}
}

// narrow keeps the ciphers whose label contains one of the names in
// cipherList and the peers named in peerList, for a focused run while
// working on one figure; empty lists keep everything.
func narrow(cipherList, peerList string) error {
	if cipherList != "" {
		var keep []cipherSpec
		for _, c := range ciphers {
			for _, name := range strings.Split(cipherList, ",") {
				if strings.Contains(c.label(), name) {
					keep = append(keep, c)
					break
				}
			}
		}
		if len(keep) == 0 {
			return fmt.Errorf("-ciphers: no cipher matches %q", cipherList)
		}
		ciphers = keep
		for m, cfg := range modes {
			cfg.ciphers50 = slices.DeleteFunc(slices.Clone(cfg.ciphers50), func(c cipherSpec) bool { return !slices.Contains(keep, c) })
			modes[m] = cfg
		}
	}
	if peerList != "" {
		names := strings.Split(peerList, ",")
		for _, n := range names {
			if !slices.ContainsFunc(peers, func(p peer) bool { return p.name == n }) {
				return fmt.Errorf("-peers: no client %q (want amiko, openssh, xssh, paramiko)", n)
			}
		}
		peers = slices.DeleteFunc(peers, func(p peer) bool { return !slices.Contains(names, p.name) })
	}
	return nil
}

// rerender writes the markdown and the SVG of a results file again,
// beside it, for when their layout changed.
func rerender(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r results
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	base := strings.TrimSuffix(path, ".json")
	if err := os.WriteFile(base+".svg", []byte(r.svg()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(base+".md", []byte(r.markdown()), 0o644)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func itoa(n int) string { return fmt.Sprint(n) }
