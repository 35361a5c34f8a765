package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadTimes checks the parsing of the shell's `times` (dash's and
// bash's formats), whose sum is taken out of sshd's CPU.
func TestReadTimes(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want time.Duration
	}{
		{"0m0.004000s 0m0.001000s\n0m0.120000s 0m0.340000s\n", 465 * time.Millisecond}, // dash
		{"0m0.002s 0m0.001s\n1m2.500s 0m0.000s\n", 62503 * time.Millisecond},           // bash
		{"", 0},
	} {
		path := filepath.Join(t.TempDir(), "times")
		if err := os.WriteFile(path, []byte(tc.out), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readTimes(path)
		if err != nil || got != tc.want {
			t.Errorf("readTimes(%q) = %v, %v; want %v", tc.out, got, err, tc.want)
		}
	}
	if _, err := readTimes(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("readTimes of a missing file: no error")
	}
}

// TestRatios checks that a ratio above 1 means amiko is ahead, whichever
// way the figure goes: amiko/peer for a rate, peer/amiko for a time.
func TestRatios(t *testing.T) {
	r := &results{
		Date: "2026-01-01T00:00:00Z", Versions: map[string]string{},
		Transfers: []transferRow{
			{Direction: "download", Cipher: ciphers[0].label(), Link: "loopback", Peer: "amiko", Best: transfer{MBps: 600}},
			{Direction: "download", Cipher: ciphers[0].label(), Link: "loopback", Peer: "openssh", Best: transfer{MBps: 300}},
		},
		Connects: []connectRow{
			{Server: "dropbear", Peer: "amiko", Loopback: connects{MedianMS: 10}, RoundTrips: 4},
			{Server: "dropbear", Peer: "openssh", Loopback: connects{MedianMS: 30}, RoundTrips: 6},
		},
	}
	md := r.markdown()
	for _, want := range []string{
		"| download aes128-gcm, loopback | 600 MB/s | 300 MB/s | 2.00x |",
		"| connect+auth+exec, dropbear, loopback | 10.0 ms | 30.0 ms | 3.00x |",
		"| round trips, dropbear, (50 ms - loopback) / RTT | 4.00 | 6.00 | 1.50x |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	if svg := r.svg(); !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("chart is not one SVG element:\n%s", svg)
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.7: 1, 1: 1, 1.1: 2, 3: 5, 7.2: 10, 813 * 1.1: 1000, 1200: 2000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

// TestMachineShare: /proc/stat parses, and a busy loop between two
// readings shows as a share between 0 and 1.
func TestMachineShare(t *testing.T) {
	start := readCPUTicks()
	if start.all == 0 || start.busy == 0 || start.busy > start.all {
		t.Fatalf("/proc/stat read as %+v", start)
	}
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
	}
	if s := start.shareSince(); s <= 0 || s > 1 {
		t.Fatalf("busy share %v, want (0, 1]", s)
	}
}

// TestCeilingTable checks the ceiling part's table: amiko's share of its
// ceiling, and the ceiling against ssh's and x/crypto's loopback rates.
func TestCeilingTable(t *testing.T) {
	gcm := ciphers[0].label()
	r := &results{
		Date: "2026-01-01T00:00:00Z", Versions: map[string]string{},
		Transfers: []transferRow{
			{Direction: "download", Cipher: gcm, Link: "loopback", Peer: "openssh", Best: transfer{MBps: 500}},
			{Direction: "download", Cipher: gcm, Link: "loopback", Peer: "xssh", Best: transfer{MBps: 400}},
			{Direction: "download", Cipher: gcm, Link: "ceiling", Peer: "amiko", Best: transfer{MBps: 600}},
			{Direction: "download", Cipher: gcm, Link: "ceiling", Peer: amikoNoIO.name, Best: transfer{MBps: 800}},
		},
	}
	md := r.markdown()
	want := "| download aes128-gcm, loopback | 800 MB/s, 0.00 s CPU/GB (sshd 0%, machine 0%) | 600 MB/s, 0.00 s CPU/GB (sshd 0%, machine 0%) | 0.75 | 1.60x | 2.00x |"
	if !strings.Contains(md, want) {
		t.Errorf("table lacks %q:\n%s", want, md)
	}
	if strings.Contains(md, "| download aes128-gcm, loopback | 600 MB/s") {
		t.Errorf("the ceiling part's amiko row went into the main table:\n%s", md)
	}
}
