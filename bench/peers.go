package main

import (
	"net"
	"path/filepath"

	"github.com/amiko-ssh/amiko/bench/internal/clientrun"
)

// python is Debian's interpreter, which has python3-paramiko; a python3
// earlier on PATH (pyenv, a virtualenv) may not.
const python = "/usr/bin/python3"

// peer is one client under measurement. Each is a program of its own
// with the same contract: connect to an address, run a command with
// standard input, output and error wired through, exit with its status.
type peer struct {
	name  string // short, for JSON and file names
	label string // for tables and charts
	// argv returns the command line running command on addr. With
	// cipher and mac set, the client is told to use them (the servers
	// offer nothing else anyway).
	argv func(f *fixture, addr, cipher, mac, command string) []string
	// loops says the program has the connect loop (-count, -report):
	// everything but ssh, whose unit of work is a process.
	loops bool
	// ciphers it implements, of the ones measured; nil means all.
	ciphers []string
	// compress turns an argv into one that asks for compression; nil
	// where the client has none (x/crypto/ssh).
	compress func(argv []string) []string
	// scale is how many bytes of the command's output each byte the
	// client writes stands for; 0 means 1.
	scale int64
}

var peers = []peer{
	{name: "amiko", label: "amiko", loops: true, argv: goClient("amikoclient"), compress: compressFlag},
	{name: "openssh", label: "OpenSSH ssh", argv: sshArgv, compress: sshCompress},
	{name: "xssh", label: "x/crypto/ssh", loops: true, argv: goClient("xsshclient")},
	// paramiko 2.12 has neither AES-GCM nor chacha20-poly1305.
	{name: "paramiko", label: "paramiko", loops: true, argv: paramikoArgv, ciphers: []string{"aes128-ctr"}, compress: compressFlag},
}

// amikoNoIO is amiko's client in the ceiling experiment (-no-io, see
// bench/internal/clientrun/noio.go): it neither writes the command's
// output nor reads its input, so its rate is what the rest of the
// pipeline allows. It is not one of peers: the ceiling part runs it beside
// amiko as a user runs it, and nothing else does.
var amikoNoIO = peer{name: "amiko-noio", label: "amiko, streams not moved", argv: noIO(goClient("amikoclient")), scale: clientrun.NoIOScale}

// noIO adds -no-io before the command, which comes last.
func noIO(argv func(f *fixture, addr, cipher, mac, command string) []string) func(f *fixture, addr, cipher, mac, command string) []string {
	return func(f *fixture, addr, cipher, mac, command string) []string {
		a := argv(f, addr, cipher, mac, command)
		n := len(a) - 1
		return append(append(append([]string{}, a[:n]...), "-no-io"), a[n])
	}
}

// compressFlag adds -compress before the command, which comes last.
func compressFlag(argv []string) []string {
	n := len(argv) - 1
	return append(append(append([]string{}, argv[:n]...), "-compress"), argv[n])
}

// sshCompress is ssh -C.
func sshCompress(argv []string) []string {
	out := append([]string{}, argv...)
	for i, a := range out {
		if a == "Compression=no" {
			out[i] = "Compression=yes"
		}
	}
	return out
}

func (p peer) supports(cipher string) bool {
	if p.ciphers == nil {
		return true
	}
	for _, c := range p.ciphers {
		if c == cipher {
			return true
		}
	}
	return false
}

func goClient(program string) func(f *fixture, addr, cipher, mac, command string) []string {
	return func(f *fixture, addr, _, _, command string) []string {
		return []string{filepath.Join(f.bin, program), "-addr", addr, "-user", benchUser,
			"-key", f.userKey, "-known-hosts", f.known, command}
	}
}

func paramikoArgv(f *fixture, addr, _, _, command string) []string {
	return []string{python, "-W", "ignore", filepath.Join(f.bin, "paramiko_client.py"), "-addr", addr,
		"-user", benchUser, "-key", f.userKey, "-known-hosts", f.known, command}
}

// sshArgv runs OpenSSH's ssh with nothing from the machine's or root's
// configuration: no config file, agent, multiplexing or other keys.
func sshArgv(f *fixture, addr, cipher, mac, command string) []string {
	host, port, _ := net.SplitHostPort(addr)
	a := []string{"ssh", "-F", "/dev/null", "-T",
		"-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + f.known,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UpdateHostKeys=no",
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "ControlMaster=no",
		"-o", "ControlPath=none",
		"-o", "Compression=no",
		"-o", "LogLevel=ERROR",
		"-i", f.userKey, "-l", benchUser, "-p", port}
	if cipher != "" {
		a = append(a, "-c", cipher)
	}
	if mac != "" {
		a = append(a, "-m", mac)
	}
	return append(a, host, command)
}

// loopArgv turns a client's command line into its connect loop's.
func loopArgv(argv []string, count int, report string) []string {
	n := len(argv) - 1 // the command is last
	out := append([]string{}, argv[:n]...)
	out = append(out, "-count", itoa(count), "-report", report)
	return append(out, argv[n])
}
