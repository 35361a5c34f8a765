"""A paramiko SSH server for amiko's tests (started by internal/sshtest).

Usage: python3 -W ignore paramiko_server.py CONFIG.json

It binds 127.0.0.1 at an ephemeral port, prints the port on the first
line of standard output, and from then on writes only to standard error
(its log). It accepts publickey authentication for the keys in the
authorized_keys file, and password and keyboard-interactive
authentication (one "Password: " question) for one user, and runs
"exec" and "shell" requests of session channels with /bin/sh.
"""

import base64
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import warnings

warnings.filterwarnings("ignore")  # cryptography's deprecations, on import

import paramiko  # noqa: E402

CHUNK = 32768


def load_config(path):
    with open(path) as f:
        cfg = json.load(f)
    keys = set()
    with open(cfg["authorized_keys"]) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2:
                keys.add(base64.b64decode(fields[1]))
    cfg["authorized_blobs"] = keys
    settings = []
    for line in cfg["options"]:
        name, _, value = line.strip().partition(" ")
        if name not in SETTABLE:
            raise SystemExit("paramiko_server: unknown option %r (want one of %s)"
                             % (line, ", ".join(SETTABLE)))
        settings.append((name, tuple(v for v in value.strip().split(",") if v)))
    cfg["settings"] = settings
    return cfg


# The lists of paramiko's SecurityOptions that Options.Config may set.
SETTABLE = ("kex", "ciphers", "digests", "key_types", "compression")


KEY_CLASSES = {
    "ed25519": paramiko.Ed25519Key,
    "ecdsa256": paramiko.ECDSAKey,
    "ecdsa384": paramiko.ECDSAKey,
    "ecdsa521": paramiko.ECDSAKey,
    "rsa": paramiko.RSAKey,
    "dsa": paramiko.DSSKey,
}


class Server(paramiko.ServerInterface):
    def __init__(self, cfg):
        self.cfg = cfg
        self.env = {}  # channel id -> {name: value}
        self.lock = threading.Lock()
        self.pending = {}  # the client's channel id -> command to start

    def get_allowed_auths(self, username):
        return "publickey,password,keyboard-interactive"

    def check_auth_password(self, username, password):
        if username == self.cfg["user"] and password == self.cfg["password"]:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username, submethods):
        # One question, the password, as OpenSSH's PAM setup asks it.
        self.interactive_user = username
        return paramiko.InteractiveQuery("", "", ("Password: ", False))

    def check_auth_interactive_response(self, responses):
        if (getattr(self, "interactive_user", None) == self.cfg["user"]
                and list(responses) == [self.cfg["password"]]):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        if username == self.cfg["user"] and key.asbytes() in self.cfg["authorized_blobs"]:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_env_request(self, channel, name, value):
        self.env.setdefault(channel.get_id(), {})[_text(name)] = _text(value)
        return True

    def check_channel_pty_request(self, channel, *args):
        # Accepted so that clients asking for one still get their shell;
        # commands run without a terminal.
        return True

    def check_channel_exec_request(self, channel, command):
        self._start(channel, ["/bin/sh", "-c", _text(command)])
        return True

    def check_channel_shell_request(self, channel):
        self._start(channel, ["/bin/sh"])
        return True

    def _start(self, channel, argv):
        # paramiko replies to the request only after this returns. Started
        # here, a quick command could finish and close the channel before
        # the reply went out, and clients (x/crypto's, paramiko's own,
        # amiko's) then see the request fail: TestServe did so under load.
        # So the command starts once the reply is sent (replied), or after
        # a second if the client asked for none.
        env = dict(os.environ)
        env.update(self.env.get(channel.get_id(), {}))
        command = threading.Thread(target=run, args=(channel, argv, env), daemon=True)
        with self.lock:
            self.pending[channel.remote_chanid] = command
        timer = threading.Timer(1.0, self._start_pending, args=(channel.remote_chanid,))
        timer.daemon = True
        timer.start()

    def replied(self, payload):
        """Called after the transport sent payload: starts the command
        whose request that payload answers."""
        if len(payload) >= 5 and payload[0] in (99, 100):  # CHANNEL_SUCCESS, _FAILURE
            self._start_pending(int.from_bytes(payload[1:5], "big"))

    def _start_pending(self, chanid):
        with self.lock:
            command = self.pending.pop(chanid, None)
        if command is not None:
            command.start()


def _text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def run(chan, argv, env):
    """Run argv with the channel as its standard streams, then report."""
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env)
    except OSError as e:
        logging.exception("starting %s", argv)
        chan.sendall_stderr(("%s\n" % e).encode())
        chan.send_exit_status(127)
        chan.close()
        return

    def pump_in():
        try:
            while True:
                data = chan.recv(CHUNK)
                if not data:
                    break
                proc.stdin.write(data)
                proc.stdin.flush()
        except (OSError, EOFError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def pump_out(src, send):
        try:
            while True:
                data = src.read1(CHUNK)
                if not data:
                    break
                send(data)
        except (OSError, EOFError, paramiko.SSHException):
            pass

    threading.Thread(target=pump_in, daemon=True).start()
    outs = [threading.Thread(target=pump_out, args=(proc.stdout, chan.sendall)),
            threading.Thread(target=pump_out, args=(proc.stderr, chan.sendall_stderr))]
    for t in outs:
        t.start()
    for t in outs:
        t.join()
    code = proc.wait()
    if code < 0:
        code = 128 - code  # killed by signal -code, as a shell reports it
    try:
        chan.send_exit_status(code)
        chan.shutdown_write()
        chan.close()
    except (OSError, EOFError, paramiko.SSHException):
        pass


def configure(transport, cfg):
    opts = transport.get_security_options()
    if cfg["all_algorithms"]:
        T = paramiko.Transport
        # Defaults first, then what paramiko implements but does not
        # offer; GSS-API key exchange needs a Kerberos setup and is left out.
        opts.kex = _extend(opts.kex, [k for k in T._kex_info if not k.startswith("gss-")])
        opts.ciphers = _extend(opts.ciphers, T._cipher_info)
        opts.digests = _extend(opts.digests, T._mac_info)
        opts.compression = ("none", "zlib@openssh.com", "zlib")
    for name, value in cfg["settings"]:
        setattr(opts, name, value)


def _extend(have, more):
    return tuple(have) + tuple(m for m in more if m not in have)


def serve(conn, cfg, host_keys):
    transport = paramiko.Transport(conn)
    try:
        configure(transport, cfg)
        for k in host_keys:
            transport.add_server_key(k)
        server = Server(cfg)
        send = transport._send_user_message

        def send_then_start(m):
            send(m)
            server.replied(m.asbytes())

        transport._send_user_message = send_then_start
        transport.start_server(server=server)
        # Channels are served by the callbacks above; accepting keeps
        # paramiko's queue of them from growing, and holding on to them
        # keeps Channel.__del__ from closing them under the command.
        channels = []
        while transport.is_active():
            ch = transport.accept(1)
            channels = [c for c in channels if not c.closed]
            if ch is not None:
                channels.append(ch)
    except (paramiko.SSHException, EOFError, OSError) as e:
        logging.info("connection ended: %r", e)
    except Exception:
        logging.exception("serving connection")
    finally:
        transport.close()


def main():
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG,
        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    cfg = load_config(sys.argv[1])
    host_keys = [KEY_CLASSES[k["type"]].from_private_key_file(k["path"])
                 for k in cfg["host_keys"]]
    if cfg["all_algorithms"]:
        # Group exchange needs primes to pick from; without them paramiko's
        # server silently drops diffie-hellman-group-exchange-*.
        if not paramiko.Transport.load_server_moduli():
            logging.warning("no moduli file: group exchange disabled")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    os.dup2(2, 1)  # from here on, stdout is the log too

    while True:
        conn, addr = sock.accept()
        logging.info("connection from %s:%d", *addr)
        threading.Thread(target=serve, args=(conn, cfg, host_keys), daemon=True).start()


if __name__ == "__main__":
    main()
