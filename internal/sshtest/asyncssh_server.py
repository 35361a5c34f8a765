"""An asyncssh SSH server for amiko's tests (started by internal/sshtest).

Usage: python3 -W ignore asyncssh_server.py CONFIG.json

It binds 127.0.0.1 at an ephemeral port, prints the port on the first
line of standard output, and from then on writes only to standard error
(its log). It accepts publickey authentication for the keys in the
authorized_keys file and password authentication for one user (which
asyncssh also offers as keyboard-interactive, asking for the password), and runs
"exec" and "shell" requests of session channels with /bin/sh.
"""

import asyncio
import json
import logging
import os
import sys
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecations, on import

import asyncssh  # noqa: E402

CHUNK = 65536

# With AllAlgorithms, every algorithm asyncssh implements: its option
# strings are patterns, and "*" matches each name in its table.
# GSS-API key exchange stays out unless a Kerberos setup provides
# mechanisms, and x509 host keys are not loaded, so they are not offered.
ALL_ALGORITHMS = {
    "kex_algs": "*",
    "encryption_algs": "*",
    "mac_algs": "*",
    "compression_algs": "*",
    "signature_algs": "*",
}


class Server(asyncssh.SSHServer):
    def __init__(self, cfg):
        self.cfg = cfg

    def connection_made(self, conn):
        peer = conn.get_extra_info("peername")
        logging.info("connection from %s:%d", peer[0], peer[1])

    def begin_auth(self, username):
        return True  # authentication is always required

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return username == self.cfg["user"] and password == self.cfg["password"]

    def public_key_auth_supported(self):
        return True

    def validate_public_key(self, username, key):
        return (username == self.cfg["user"]
                and key.public_data in self.cfg["authorized_blobs"])


async def handle(process):
    """Run the requested command with the channel as its streams."""
    command = process.command
    if isinstance(command, bytes):
        command = command.decode("utf-8", "replace")
    argv = ["/bin/sh", "-c", command] if command is not None else ["/bin/sh"]
    env = dict(os.environ)
    for name, value in (process.env or {}).items():
        env[_text(name)] = _text(value)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env)
    except OSError as e:
        process.stderr.write(("%s\n" % e).encode())
        process.exit(127)
        return

    async def pump_in():
        try:
            while True:
                data = await process.stdin.read(CHUNK)
                if not data:
                    break
                proc.stdin.write(data)
                await proc.stdin.drain()
        except (OSError, asyncssh.Error):
            pass
        finally:
            proc.stdin.close()

    async def pump_out(src, dst):
        try:
            while True:
                data = await src.read(CHUNK)
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        except (OSError, asyncssh.Error):
            pass

    feeding = asyncio.ensure_future(pump_in())
    await asyncio.gather(pump_out(proc.stdout, process.stdout),
                         pump_out(proc.stderr, process.stderr))
    code = await proc.wait()
    feeding.cancel()
    if code < 0:
        code = 128 - code  # killed by signal -code, as a shell reports it
    # exit sends exit-status, then closes the channel.
    process.exit(code)


def _text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def load_config(path):
    with open(path) as f:
        cfg = json.load(f)
    blobs = set()
    for key in asyncssh.read_public_key_list(cfg["authorized_keys"]):
        blobs.add(key.public_data)
    cfg["authorized_blobs"] = blobs
    return cfg


async def main():
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG,
        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncssh.set_log_level(logging.DEBUG)
    asyncssh.set_debug_level(2)
    cfg = load_config(sys.argv[1])

    kwargs = dict(ALL_ALGORITHMS) if cfg["all_algorithms"] else {}
    for line in cfg["options"]:
        name, _, value = line.strip().partition(" ")
        kwargs[name] = value.strip()

    server = await asyncssh.create_server(
        lambda: Server(cfg), "127.0.0.1", 0,
        server_host_keys=[k["path"] for k in cfg["host_keys"]],
        process_factory=handle,
        encoding=None,  # bytes in, bytes out: commands' output is binary
        **kwargs)
    print(server.sockets[0].getsockname()[1], flush=True)
    os.dup2(2, 1)  # from here on, stdout is the log too
    await asyncio.Event().wait()  # serve until killed


if __name__ == "__main__":
    asyncio.run(main())
