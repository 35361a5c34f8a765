package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// sftpRow is one SFTP transfer: a file of Bytes from the server (get) or
// to it (put), against sshd's internal-sftp.
type sftpRow struct {
	Direction string     `json:"direction"` // "download" or "upload"
	Peer      string     `json:"peer"`
	Best      transfer   `json:"best"`
	Runs      []transfer `json:"runs"`
}

// sftpClient is how one client runs "get", "put" or nothing.
type sftpClient struct {
	name string
	// run starts the client; op is "get", "put" or "none".
	run func(b *bench, addr, op, remote, local string) *exec.Cmd
}

var sftpClients = []sftpClient{
	{"amiko", goSFTP("amikosftp")},
	{"openssh", opensshSFTP},
	{"xssh", goSFTP("xsshsftp")},
}

// goSFTP runs bench/amikosftp or bench/xsshsftp: a get writes to standard
// output, a put reads standard input, as sftprun says.
func goSFTP(program string) func(b *bench, addr, op, remote, local string) *exec.Cmd {
	return func(b *bench, addr, op, remote, local string) *exec.Cmd {
		argv := goClient(program)(b.f, addr, "", "", op+" "+remote)
		cmd := exec.Command(argv[0], argv[1:]...)
		switch op {
		case "get":
			cmd.Stdout, _ = os.OpenFile(local, os.O_WRONLY, 0)
		case "put":
			cmd.Stdin, _ = os.Open(local)
		}
		return cmd
	}
}

// opensshSFTP runs OpenSSH's sftp in batch mode, with the options ssh
// gets (see sshArgv) and its defaults otherwise (32 KiB requests, 64 in
// flight).
func opensshSFTP(b *bench, addr, op, remote, local string) *exec.Cmd {
	batch := map[string]string{
		"none": "pwd",
		"get":  fmt.Sprintf("get %s %s", remote, local),
		"put":  fmt.Sprintf("put %s %s", local, remote),
	}[op]
	path := b.runFile("sftp-batch")
	os.WriteFile(path, []byte(batch+"\n"), 0o644)
	argv := sshArgv(b.f, addr, "", "", "")
	// sshArgv ends with host and command; sftp takes -P for the port
	// and user@host.
	var args []string
	for i := 1; i < len(argv)-2; i++ {
		switch argv[i] {
		case "-T":
		case "-p":
			args = append(args, "-P", argv[i+1])
			i++
		case "-l":
			i++
		default:
			args = append(args, argv[i])
		}
	}
	args = append(args, "-q", "-b", path, benchUser+"@"+argv[len(argv)-2])
	return exec.Command("sftp", args...)
}

// sftpAll measures SFTP downloads and uploads against sshd (the
// aes128-gcm server), with the time of a run that only connects and
// starts the subsystem taken out, so that sshd's connection setup is
// not counted.
func (b *bench) sftpAll(res *results, fail func(string, error)) {
	srv := b.sshds[ciphers[0].cipher]
	size := b.cfg.sftpSize
	// A sparse file on the server side to get, and one here to put:
	// both read as zeros without touching the disk.
	remote := filepath.Join(b.f.runDir, "sftp-source")
	if err := os.Truncate(remote, size); err != nil {
		if f, err := os.Create(remote); err == nil {
			f.Close()
		}
		if err := os.Truncate(remote, size); err != nil {
			fail("sftp source", err)
			return
		}
	}
	local, err := b.zeros(size)
	if err != nil {
		fail("sftp source", err)
		return
	}
	local.Close()

	for _, c := range sftpClients {
		if _, err := os.Stat(filepath.Join(b.f.bin, c.name+"sftp")); c.name != "openssh" && err != nil {
			b.logf("sftp: no %s client program (%v): skipped", c.name, err)
			continue
		}
		base, err := b.sftpBaseline(c, srv)
		if err != nil {
			fail("sftp baseline "+c.name, err)
			continue
		}
		for _, dir := range []string{"download", "upload"} {
			row := sftpRow{Direction: dir, Peer: c.name}
			for range b.cfg.reps {
				var t transfer
				var err error
				if dir == "download" {
					t, err = b.sftpOnce(c, srv, "get", remote, os.DevNull, size, base)
				} else {
					t, err = b.sftpOnce(c, srv, "put", os.DevNull, local.Name(), size, base)
				}
				if err != nil {
					fail(fmt.Sprintf("sftp %s %s", dir, c.name), err)
					break
				}
				row.Runs = append(row.Runs, t)
				if t.MBps > row.Best.MBps {
					row.Best = t
				}
			}
			if len(row.Runs) > 0 {
				b.logf("sftp     %-8s %-9s %7.1f MB/s  client %3.0f%%  sshd %3.0f%%",
					dir, c.name, row.Best.MBps, 100*row.Best.ClientCPU, 100*row.Best.ServerCPU)
				res.SFTP = append(res.SFTP, row)
			}
		}
	}
}

// sftpCost is what a run that only connects costs: wall time, the
// client's CPU, sshd's CPU.
type sftpCost struct{ wall, client, server time.Duration }

func (b *bench) sftpBaseline(c sftpClient, srv *sshd) (sftpCost, error) {
	var costs []sftpCost
	for range 3 {
		cost, err := b.sftpRun(c, srv, "none", "", "")
		if err != nil {
			return sftpCost{}, err
		}
		costs = append(costs, cost)
	}
	slices.SortFunc(costs, func(x, y sftpCost) int { return int(x.wall - y.wall) })
	return costs[1], nil
}

func (b *bench) sftpOnce(c sftpClient, srv *sshd, op, remote, local string, size int64, base sftpCost) (transfer, error) {
	cost, err := b.sftpRun(c, srv, op, remote, local)
	if err != nil {
		return transfer{}, err
	}
	t := transfer{Bytes: size, Seconds: (cost.wall - base.wall).Seconds()}
	if t.Seconds > 0 {
		t.MBps = float64(size) / t.Seconds / 1e6
		t.ClientCPU = (cost.client - base.client).Seconds() / t.Seconds
		t.ServerCPU = (cost.server - base.server).Seconds() / t.Seconds
	}
	return t, nil
}

func (b *bench) sftpRun(c sftpClient, srv *sshd, op, remote, local string) (sftpCost, error) {
	cmd := c.run(b, srv.addr, op, remote, local)
	var out bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	mark, markErr := srv.mark()
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.timeout)
	defer cancel()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sftpCost{}, err
	}
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	wall := time.Since(start)
	stop()
	for _, f := range []any{cmd.Stdin, cmd.Stdout} {
		if f, ok := f.(*os.File); ok {
			f.Close()
		}
	}
	if err != nil {
		return sftpCost{}, fmt.Errorf("%s %s: %v: %s", c.name, op, err, tail(out.Bytes()))
	}
	cost := sftpCost{wall: wall, client: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if markErr == nil {
		cost.server, _ = srv.cpuSince(mark, 10*time.Second)
	}
	return cost, nil
}
