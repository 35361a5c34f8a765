"""paramiko's side of the benchmark: the same ssh-like program as
amikoclient and xsshclient, on paramiko's SSHClient.

It connects, runs one command with standard input, output and error wired
to the command's, and exits with the command's status; with --count it
connects that many times running the command and writes a JSON report of
the time of each connection and the CPU they took (the shape of
clientrun.Report). Run it with Debian's /usr/bin/python3, which has
python3-paramiko.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time

import paramiko


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("-addr", required=True)
    p.add_argument("-user", required=True)
    p.add_argument("-key", required=True)
    p.add_argument("-known-hosts", dest="known_hosts", required=True)
    p.add_argument("-count", type=int, default=0)
    p.add_argument("-report", default="")
    p.add_argument("-compress", action="store_true")
    p.add_argument("command", nargs="+")
    a = p.parse_args()
    a.host, port = a.addr.rsplit(":", 1)
    a.port = int(port)
    a.command = " ".join(a.command)
    return a


def connect(a):
    c = paramiko.SSHClient()
    c.load_host_keys(a.known_hosts)
    c.connect(a.host, a.port, username=a.user, key_filename=a.key,
              allow_agent=False, look_for_keys=False, compress=a.compress)
    return c


def once(a):
    """One connection running the command to its exit status, its output
    discarded; returns the client, still connected."""
    c = connect(a)
    chan = c.get_transport().open_session()
    chan.exec_command(a.command)
    chan.shutdown_write()
    while chan.recv(1 << 20):
        pass
    status = chan.recv_exit_status()
    if status != 0:
        raise SystemExit("command exited with status %d" % status)
    return c


def loop(a):
    """As clientrun.Loop: a warm-up connection, then count timed ones; the
    clock stops at the exit status, before closing (paramiko's close
    waits for its transport thread to notice), the CPU count does not."""
    once(a).close()
    times = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(a.count):
        t = time.perf_counter_ns()
        c = once(a)
        times.append(time.perf_counter_ns() - t)
        c.close()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    with open(a.report, "w") as f:
        json.dump({"connect_ns": times,
                   "user_ns": int((r1.ru_utime - r0.ru_utime) * 1e9),
                   "sys_ns": int((r1.ru_stime - r0.ru_stime) * 1e9)}, f)


def run(a):
    c = connect(a)
    chan = c.get_transport().open_session()
    chan.exec_command(a.command)

    def pump_stdin():
        fd = sys.stdin.fileno()
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chan.sendall(b)
        chan.shutdown_write()

    t = threading.Thread(target=pump_stdin, daemon=True)
    t.start()
    out = sys.stdout.fileno()
    while True:
        b = chan.recv(1 << 20)
        if not b:
            break
        while b:
            n = os.write(out, b)
            b = b[n:]
    status = chan.recv_exit_status()
    c.close()
    return status


def main():
    a = parse()
    if a.count > 0:
        loop(a)
        return 0
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
